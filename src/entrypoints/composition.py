"""The composition root: settings in, adapters built, use cases handed their ports."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from adapters.clock import SystemClock
from adapters.heavy_work import ThreadedHeavyWork
from adapters.metrics import PrometheusMetrics
from adapters.payments.sandbox_gateway import SandboxGateway
from adapters.payments.stripe_gateway import StripeGateway
from adapters.postgres.idempotency import SqlIdempotencyStore
from adapters.postgres.public_reads import SqlPublicReads
from adapters.postgres.schema import head_revision
from adapters.postgres.uow import SqlUnitOfWork
from adapters.postgres.urls import async_url
from adapters.security import Argon2Passwords, JwtTokens, sha256_hex
from application.context import Context, Policy
from application.payment_ports import PaymentGateway
from application.ports import UnitOfWork
from entrypoints.settings import Settings


@dataclass
class Runtime:
    """Everything a process serves with; built once per process, closed on shutdown."""

    settings: Settings
    engine: AsyncEngine
    read_engine: AsyncEngine  # the same pool in AUTOCOMMIT: single reads without BEGIN and ROLLBACK
    ctx: Context
    schema_head: str | None = None  # the migration this code expects the database at

    async def close(self) -> None:
        close = getattr(self.ctx.gateway, "close", None)
        if close is not None:
            await close()
        await self.engine.dispose()


def make_engine(settings: Settings) -> AsyncEngine:
    if not settings.database_url:
        raise ValueError("DATABASE_URL is not set")
    connect_args: dict[str, Any] = {"timeout": 10}
    url = async_url(settings.database_url)
    if settings.db_pgbouncer:
        # Transaction pooling: no statement cache, unique names for the statements SQLAlchemy prepares,
        # no startup parameters (statement_timeout goes on the database role, see docs/operations.md).
        connect_args |= {"statement_cache_size": 0, "prepared_statement_name_func": _statement_name}
        url = url.update_query_dict({"prepared_statement_cache_size": "0"})
    else:
        connect_args["server_settings"] = {
            "application_name": "booking",
            "statement_timeout": str(settings.db_statement_timeout_ms),
            "lock_timeout": str(min(settings.db_statement_timeout_ms, 5_000)),
            "idle_in_transaction_session_timeout": "60000",
        }
    return create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=max(2, settings.db_pool_size // 4),  # overflow connections open and close per use: few
        pool_timeout=10,
        pool_recycle=1800,
        connect_args=connect_args,
        hide_parameters=True,  # bound values are customers' names, e-mails, phones and token hashes
    )


def _statement_name() -> str:
    return f"__booking_{uuid.uuid4().hex}__"


def make_gateway(settings: Settings, engine: AsyncEngine) -> PaymentGateway:
    """Stripe through the official SDK, or the local sandbox (never in production: settings refuse it)."""
    secrets = [s for s in (settings.stripe_webhook_secret, settings.stripe_connect_webhook_secret) if s]
    if settings.payments_provider == "stripe":
        assert settings.stripe_secret_key is not None
        return StripeGateway(settings.stripe_secret_key, secrets, settings.stripe_api_base)
    return SandboxGateway(engine, settings.public_base_url, secrets)


def build_runtime(settings: Settings) -> Runtime:
    engine = make_engine(settings)
    read_engine = engine.execution_options(isolation_level="AUTOCOMMIT")

    def unit_of_work() -> UnitOfWork:
        return SqlUnitOfWork(engine)

    policy = Policy(
        platform_commission_bps=settings.platform_commission_bps,
        hold_minutes=settings.hold_minutes,
        public_base_url=settings.public_base_url,
        allowed_redirect_hosts=settings.allowed_redirect_hosts,
        # Manage tokens are HMACs under a key of their own, derived from the JWT secret.
        manage_token_key=hmac.new(
            settings.jwt_secret.encode(), b"booking manage tokens", hashlib.sha256
        ).digest(),
    )
    ctx = Context(
        uow=unit_of_work,
        clock=SystemClock(),
        passwords=Argon2Passwords(),
        tokens=JwtTokens(
            settings.jwt_secret, settings.jwt_issuer, settings.jwt_audience, settings.jwt_ttl_seconds
        ),
        secret_hash=sha256_hex,
        reads=SqlPublicReads(read_engine),
        single_statement=lambda: SqlUnitOfWork(read_engine, transactional=False),
        gateway=make_gateway(settings, engine),
        metrics=PrometheusMetrics(),
        idempotency=SqlIdempotencyStore(engine),
        heavy=ThreadedHeavyWork(),
        policy=policy,
    )
    return Runtime(settings, engine, read_engine, ctx, head_revision())
