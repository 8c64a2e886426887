"""Users, memberships, API keys and refresh tokens on PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, and_, delete, func, insert, select, update

from adapters.postgres.base import Repository
from adapters.postgres.tables import api_keys, memberships, organisations, refresh_tokens, users
from application.ports import MembershipView, MemberView, Page, PageRequest
from domain.access import Role
from domain.identity import ApiKey, RefreshToken, User


def _user(row: RowMapping) -> User:
    return User(row["id"], row["email"], row["name"], row["password_hash"], row["active_organisation_id"])


class SqlUsers(Repository):
    async def add(self, email: str, name: str, password_hash: str) -> User:
        row = await self.row(
            insert(users).values(email=email, name=name, password_hash=password_hash).returning(users)
        )
        assert row is not None
        return _user(row)

    async def by_email(self, email: str) -> User | None:
        row = await self.row(select(users).where(func.lower(users.c.email) == email.lower()))
        return _user(row) if row else None

    async def by_id(self, user_id: int) -> User | None:
        row = await self.row(select(users).where(users.c.id == user_id))
        return _user(row) if row else None

    async def set_active_organisation(self, user_id: int, organisation_id: int | None) -> None:
        await self.execute(
            update(users)
            .where(users.c.id == user_id)
            .values(active_organisation_id=organisation_id, updated_at=func.now())
        )


def _member(row: RowMapping) -> MemberView:
    return MemberView(row["user_id"], row["email"], row["name"], Role(row["role"]), row["created_at"])


class SqlMemberships(Repository):
    _members = select(
        memberships.c.user_id, memberships.c.role, memberships.c.created_at, users.c.email, users.c.name
    ).join(users, users.c.id == memberships.c.user_id)

    async def of_user(self, user_id: int) -> list[MembershipView]:
        rows = await self.rows(
            select(organisations.c.id, organisations.c.slug, organisations.c.name, memberships.c.role)
            .join(memberships, memberships.c.organisation_id == organisations.c.id)
            .where(memberships.c.user_id == user_id)
            .order_by(organisations.c.id)
        )
        return [MembershipView(r["id"], r["slug"], r["name"], Role(r["role"])) for r in rows]

    async def role(self, organisation_id: int, user_id: int) -> Role | None:
        value = await self.scalar(
            select(memberships.c.role).where(
                memberships.c.organisation_id == organisation_id, memberships.c.user_id == user_id
            )
        )
        return Role(value) if value else None

    async def members(self, organisation_id: int, page: PageRequest) -> Page[MemberView]:
        query = self._members.where(memberships.c.organisation_id == organisation_id).order_by(
            memberships.c.created_at, memberships.c.user_id
        )
        rows, total = await self.paged(query, page)
        return Page([_member(r) for r in rows], total, page)

    async def member(self, organisation_id: int, user_id: int) -> MemberView | None:
        row = await self.row(
            self._members.where(
                memberships.c.organisation_id == organisation_id, memberships.c.user_id == user_id
            )
        )
        return _member(row) if row else None

    async def add(self, organisation_id: int, user_id: int, role: Role) -> None:
        await self.execute(
            insert(memberships).values(organisation_id=organisation_id, user_id=user_id, role=role)
        )

    async def set_role(self, organisation_id: int, user_id: int, role: Role) -> None:
        await self.execute(
            update(memberships)
            .where(memberships.c.organisation_id == organisation_id, memberships.c.user_id == user_id)
            .values(role=role)
        )

    async def remove(self, organisation_id: int, user_id: int) -> None:
        await self.execute(
            delete(memberships).where(
                memberships.c.organisation_id == organisation_id, memberships.c.user_id == user_id
            )
        )

    async def owner_count(self, organisation_id: int) -> int:
        # Lock the owners so two concurrent demotions cannot leave none.
        rows = await self.rows(
            select(memberships.c.user_id)
            .where(memberships.c.organisation_id == organisation_id, memberships.c.role == Role.OWNER)
            .with_for_update()
        )
        return len(rows)


def _key(row: RowMapping) -> ApiKey:
    return ApiKey(
        row["id"],
        row["organisation_id"],
        row["created_by_user_id"],
        row["name"],
        row["prefix"],
        tuple(row["scopes"]),
        row["expires_at"],
        row["revoked_at"],
        row["last_used_at"],
        row["created_at"],
    )


_KEY_COLUMNS: list[Any] = [c for c in api_keys.c if c.name != "key_hash"]


class SqlApiKeys(Repository):
    async def add(
        self,
        organisation_id: int,
        created_by: int,
        name: str,
        prefix: str,
        key_hash: str,
        scopes: tuple[str, ...],
        expires_at: datetime | None,
    ) -> ApiKey:
        row = await self.row(
            insert(api_keys)
            .values(
                organisation_id=organisation_id,
                created_by_user_id=created_by,
                name=name,
                prefix=prefix,
                key_hash=key_hash,
                scopes=list(scopes),
                expires_at=expires_at,
            )
            .returning(*_KEY_COLUMNS)
        )
        assert row is not None
        return _key(row)

    async def by_hash(self, key_hash: str) -> ApiKey | None:
        row = await self.row(select(*_KEY_COLUMNS).where(api_keys.c.key_hash == key_hash))
        return _key(row) if row else None

    async def page(self, organisation_id: int, page: PageRequest) -> Page[ApiKey]:
        query = (
            select(*_KEY_COLUMNS)
            .where(api_keys.c.organisation_id == organisation_id, api_keys.c.revoked_at.is_(None))
            .order_by(api_keys.c.id)
        )
        rows, total = await self.paged(query, page)
        return Page([_key(r) for r in rows], total, page)

    async def revoke(self, organisation_id: int, key_id: int, now: datetime) -> bool:
        result = await self.execute(
            update(api_keys)
            .where(
                api_keys.c.organisation_id == organisation_id,
                api_keys.c.id == key_id,
                api_keys.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        return result.rowcount == 1

    async def revoke_created_by(self, organisation_id: int, user_id: int, now: datetime) -> int:
        result = await self.execute(
            update(api_keys)
            .where(
                api_keys.c.organisation_id == organisation_id,
                api_keys.c.created_by_user_id == user_id,
                api_keys.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        return int(result.rowcount)

    async def touch(self, key_id: int, now: datetime) -> None:
        await self.execute(update(api_keys).where(api_keys.c.id == key_id).values(last_used_at=now))


class SqlRefreshTokens(Repository):
    async def add(self, user_id: int, family_id: str, token_hash: str, expires_at: datetime) -> None:
        await self.execute(
            insert(refresh_tokens).values(
                user_id=user_id, family_id=family_id, token_hash=token_hash, expires_at=expires_at
            )
        )

    async def by_hash(self, token_hash: str) -> RefreshToken | None:
        row = await self.row(select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash))
        if row is None:
            return None
        return RefreshToken(
            row["id"], row["user_id"], row["family_id"], row["expires_at"], row["used_at"], row["revoked_at"]
        )

    async def spend(self, token_id: int, now: datetime) -> bool:
        result = await self.execute(
            update(refresh_tokens)
            .where(and_(refresh_tokens.c.id == token_id, refresh_tokens.c.used_at.is_(None)))
            .values(used_at=now)
        )
        return result.rowcount == 1

    async def revoke_family(self, family_id: str, now: datetime) -> None:
        await self.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.family_id == family_id, refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
