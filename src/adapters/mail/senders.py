"""Where messages go: an SMTP server (aiosmtplib; STARTTLS or implicit TLS), or, in development without
SMTP_URL, `.eml` files in a folder that `/dev/mail` lists."""

from __future__ import annotations

import asyncio
import email.policy
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import aiosmtplib

from application.mail_ports import MailRefused, Message

TIMEOUT_SECONDS = 20


def mime(message: Message) -> EmailMessage:
    built = EmailMessage(policy=email.policy.SMTP)
    built["From"] = message.sender
    built["To"] = message.recipient
    built["Subject"] = message.subject
    built["Message-ID"] = message.message_id
    built["Date"] = format_datetime(datetime.now(UTC))
    built.set_content(message.text)
    built.add_alternative(message.html, subtype="html")
    for filename, content_type, data in message.attachments:
        main, sub = content_type.split("/", 1)
        built.add_attachment(data, maintype=main, subtype=sub, filename=filename)
    return built


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    implicit_tls: bool
    username: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpTarget:
    """smtp://[user:pass@]host[:port] (STARTTLS when offered, required with credentials) or smtps://…:465."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("SMTP_URL must be smtp://[user:pass@]host:port or smtps://[user:pass@]host:port")
    tls = parts.scheme == "smtps"
    return SmtpTarget(
        host=parts.hostname,
        port=parts.port or (465 if tls else 25),
        implicit_tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


class SmtpSender:
    def __init__(self, url: str) -> None:
        self.target = parse_smtp_url(url)

    async def send(self, message: Message) -> None:
        t = self.target
        try:
            await aiosmtplib.send(
                mime(message),
                hostname=t.host,
                port=t.port,
                username=t.username,
                password=t.password,
                use_tls=t.implicit_tls,
                # With credentials, never send them in the clear; without, upgrade whenever offered.
                start_tls=None if t.implicit_tls or t.username is None else True,
                timeout=TIMEOUT_SECONDS,
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            raise MailRefused(_one_line(error)) from None


ADDRESS = re.compile(r"[^@\s<>\"']+@[^@\s<>\"']+")


def _one_line(error: BaseException) -> str:
    """The server's refusal in one line, without the addresses it may quote (they are customers')."""
    text = str(error) or type(error).__name__
    return ADDRESS.sub("<address>", re.sub(r"\s+", " ", text))[:300]


class FolderSender:
    """Development: each message an .eml file, newest last."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def send(self, message: Message) -> None:
        data = mime(message).as_bytes()
        name = re.sub(r"[^A-Za-z0-9.-]", "", message.message_id) or "message"
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        await asyncio.to_thread(self._write, f"{stamp}-{name}.eml", data)

    def _write(self, name: str, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / name).write_bytes(data)
