"""The SMTP adapter against a real SMTP server speaking TLS (aiosmtpd, a certificate made for the test):
STARTTLS and implicit TLS deliver, credentials are only ever sent inside TLS, and a server that offers no
STARTTLS gets no password."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from adapters.mail.senders import SmtpSender
from application.mail_ports import MailRefused, Message
from tests.support.servers import free_port

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, trusted by this test alone (SSL_CERT_FILE)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


class Kept:
    def __init__(self) -> None:
        self.sessions: list[tuple[bool, str | None]] = []  # (inside TLS, who logged in)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        login = session.auth_data.decode() if isinstance(session.auth_data, bytes) else session.auth_data
        inside = session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None
        self.sessions.append((inside, login))
        return "250 OK"


def _login(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"mailer", b"s3cret")
    return AuthResult(success=ok, auth_data=data.login if ok else None)


@pytest.fixture
def server(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    started: list[Controller] = []

    def start(**options: Any) -> tuple[Kept, int]:
        kept, port = Kept(), free_port()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*certificate)
        implicit = options.pop("implicit", False)
        tls = (
            {"ssl_context": context}
            if implicit
            else ({"tls_context": context} if options.pop("starttls", True) else {})
        )
        controller = Controller(
            kept,
            hostname="127.0.0.1",
            port=port,
            authenticator=_login,
            auth_require_tls=options.pop("auth_require_tls", True),
            **tls,
            **options,
        )
        controller.start()
        started.append(controller)
        return kept, port

    yield start
    for controller in started:
        controller.stop()


def letter() -> Message:
    return Message(
        "bookings@book.example", "jo@example.com", "Booked", "text", "<p>html</p>", "<m-1@book.example>"
    )


def test_starttls_carries_the_login_and_implicit_tls_the_message(server: Any) -> None:
    kept, port = server(require_starttls=True)
    asyncio.run(SmtpSender(f"smtp://mailer:s3cret@127.0.0.1:{port}").send(letter()))
    assert kept.sessions == [(True, "mailer")]  # upgraded before the password was sent
    kept, port = server(implicit=True, auth_require_tls=False)  # TLS from the first byte
    asyncio.run(SmtpSender(f"smtps://mailer:s3cret@127.0.0.1:{port}").send(letter()))
    assert kept.sessions == [(True, "mailer")]


def test_no_password_goes_to_a_server_without_starttls(server: Any) -> None:
    kept, port = server(starttls=False, auth_require_tls=False)
    with pytest.raises(MailRefused):
        asyncio.run(SmtpSender(f"smtp://mailer:s3cret@127.0.0.1:{port}").send(letter()))
    assert kept.sessions == []
    asyncio.run(SmtpSender(f"smtp://127.0.0.1:{port}").send(letter()))  # no credentials: plain is allowed
    assert kept.sessions == [(False, None)]
