"""Password hashing (argon2id), secret hashing (SHA-256) and access tokens (JWT, HS256)."""

from __future__ import annotations

import hashlib
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
