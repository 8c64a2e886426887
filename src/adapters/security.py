"""Password hashing (argon2id), secret hashing (SHA-256), access tokens (JWT, HS256) and sealed secrets."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timedelta

import anyio.to_thread
import jwt
from argon2 import PasswordHasher as Argon2
from argon2.exceptions import InvalidHashError, VerificationError

from domain.errors import Unauthorized


class Argon2Passwords:
    """argon2id off the event loop; an unknown user costs one verification too, so timing tells nothing."""

    def __init__(self, time_cost: int = 2, memory_cost: int = 19_456, parallelism: int = 1) -> None:
        self._argon = Argon2(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
        self._dummy = self._argon.hash("a password nobody has, for unknown e-mails")

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self._argon.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return await anyio.to_thread.run_sync(self._verify, password_hash, password)

    def _verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self._argon.verify(password_hash or self._dummy, password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False


def sha256_hex(secret: str) -> str:
    """Hash of a high-entropy secret (API keys, refresh and manage tokens): fast, one-way, indexable."""
    return hashlib.sha256(secret.encode()).hexdigest()


class JwtTokens:
    """HS256 access tokens with exp, iat, iss and aud; the algorithm is pinned when verifying."""

    ALGORITHM = "HS256"

    def __init__(self, secret: str, issuer: str, audience: str, ttl_seconds: int) -> None:
        self._secret = secret
        self._issuer = issuer
        self._audience = audience
        self._ttl = ttl_seconds

    def issue(self, user_id: int, now: datetime) -> tuple[str, int]:
        claims = {
            "sub": str(user_id),
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int((now + timedelta(seconds=self._ttl)).timestamp()),
            "iss": self._issuer,
            "aud": self._audience,
        }
        return jwt.encode(claims, self._secret, algorithm=self.ALGORITHM), self._ttl

    def subject(self, token: str, now: datetime) -> int:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[self.ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
            return int(claims["sub"])
        except (jwt.PyJWTError, ValueError, KeyError) as exc:
            raise Unauthorized("the access token is invalid or expired") from exc


class SecretBox:
    """Secrets the platform must use again (webhook signing secrets) sealed with AES-256-GCM under a key
    derived from a process secret: a copy of the database alone cannot sign."""

    def __init__(self, key_material: str) -> None:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        key = HKDF(hashes.SHA256(), 32, salt=None, info=b"booking-platform secret box v1").derive(
            key_material.encode()
        )
        self._aead = AESGCM(key)

    def seal(self, secret: str) -> bytes:
        nonce = os.urandom(12)
        return b"\x01" + nonce + self._aead.encrypt(nonce, secret.encode(), b"secret box")

    def open(self, sealed: bytes) -> str:
        if sealed[:1] != b"\x01":
            raise ValueError("not a sealed secret of this version")
        nonce, body = sealed[1:13], sealed[13:]
        return self._aead.decrypt(nonce, body, b"secret box").decode()
