"""What every use case is handed: the ports and the few settings that shape decisions."""

from __future__ import annotations

from dataclasses import dataclass

from application.payment_ports import PaymentGateway
from application.ports import (
    Clock,
    HeavyWork,
    IdempotencyStore,
    Metrics,
    PasswordHasher,
    SecretHasher,
    TokenIssuer,
    UnitOfWorkFactory,
)
from application.public_ports import PublicReads


@dataclass(frozen=True)
class Policy:
    """Operator settings the use cases decide with."""

    refresh_ttl_seconds: int = 30 * 24 * 3600
    platform_commission_bps: int = 1000
    hold_minutes: int = 30
    public_base_url: str = "http://localhost:8000"
    allowed_redirect_hosts: tuple[str, ...] = ()
    manage_token_key: bytes = b""


@dataclass(frozen=True)
class Context:
    uow: UnitOfWorkFactory
    clock: Clock
    passwords: PasswordHasher
    tokens: TokenIssuer
    secret_hash: SecretHasher
    reads: PublicReads
    single_statement: UnitOfWorkFactory  # each statement its own transaction: the hot public reserve
    gateway: PaymentGateway
    metrics: Metrics
    idempotency: IdempotencyStore
    heavy: HeavyWork
    policy: Policy = Policy()
