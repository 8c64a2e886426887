"""Login checks the password with no database connection held (defect 18): argon2 takes tens of
milliseconds, and a burst of logins must not take the pool from everyone else."""

from __future__ import annotations

from datetime import UTC, datetime
from types import TracebackType
from typing import Self

import pytest

from application.identity import Accounts
from domain.errors import Unauthorized
from domain.identity import User

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


class Pool:
    """Counts the units of work open at once: each holds a pooled connection."""

    def __init__(self) -> None:
        self.open = 0
        self.users = {"jo@example.com": User(1, "jo@example.com", "Jo", "hash-of-right")}
        self.refresh: list[str] = []


class FakeUow:
    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.users = self
        self.refresh_tokens = self

    async def __aenter__(self) -> Self:
        self.pool.open += 1
        return self

    async def __aexit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.pool.open -= 1

    async def commit(self) -> None:
        pass

    async def by_email(self, email: str) -> User | None:
        return self.pool.users.get(email)

    async def add(self, user_id: int, family_id: str, token_hash: str, expires_at: datetime) -> None:
        self.pool.refresh.append(token_hash)


class Passwords:
    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.held_during_check: list[int] = []

    async def verify(self, password_hash: str | None, password: str) -> bool:
        self.held_during_check.append(self.pool.open)
        return password_hash == f"hash-of-{password}"


class Tokens:
    def issue(self, user_id: int, now: datetime) -> tuple[str, int]:
        return f"access-{user_id}", 900


class Clock:
    def now(self) -> datetime:
        return NOW


def accounts(pool: Pool, passwords: Passwords) -> Accounts:
    return Accounts(lambda: FakeUow(pool), Clock(), passwords, Tokens(), lambda secret: f"sha-{secret}")  # type: ignore[arg-type, return-value]


async def test_the_password_is_checked_with_no_connection_held() -> None:
    pool = Pool()
    passwords = Passwords(pool)
    pair = await accounts(pool, passwords).login("jo@example.com", "right")
    assert pair.access_token == "access-1"
    assert passwords.held_during_check == [0]
    assert len(pool.refresh) == 1
    assert pool.open == 0


@pytest.mark.parametrize(
    ("email", "password"), [("jo@example.com", "wrong"), ("nobody@example.com", "right")]
)
async def test_a_wrong_pair_is_refused_after_the_same_check(email: str, password: str) -> None:
    pool = Pool()
    passwords = Passwords(pool)
    with pytest.raises(Unauthorized):
        await accounts(pool, passwords).login(email, password)
    assert passwords.held_during_check == [0]  # unknown e-mails cost the same check
    assert pool.refresh == []
