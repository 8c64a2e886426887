"""Settings, read once from the environment by the CLI and handed to create_app."""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

RATE_LIMIT_DEFAULTS = {
    "PUBLIC_CATALOG": "120/minute",
    "PUBLIC_AVAILABILITY": "120/minute",
    "PUBLIC_QUOTE": "60/minute",
    "PUBLIC_RESERVE": "10/minute",
    "PUBLIC_CHECKOUT_STATUS": "60/minute",
    "PUBLIC_CHECKOUT_RETRY": "10/minute",
    "PUBLIC_MANAGE": "30/minute",
    "AUTH_LOGIN": "10/minute",
}
ENVIRONMENTS = ("development", "test", "production")


class SettingsError(ValueError):
    """The environment describes a configuration the service refuses to run with."""


@dataclass(frozen=True)
class Settings:
    app_env: str = "development"
    database_url: str | None = None
    redis_url: str | None = None
    jwt_secret: str = ""
    jwt_issuer: str = "booking-platform"
    jwt_audience: str = "booking-platform-api"
    jwt_ttl_seconds: int = 900
    stripe_secret_key: str | None = None
    stripe_publishable_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_connect_webhook_secret: str | None = None
    stripe_api_base: str | None = None
    payments_provider: str = "sandbox"
    platform_commission_bps: int = 1000
    public_base_url: str = "http://localhost:8000"
    allowed_redirect_hosts: tuple[str, ...] = ()
    trusted_proxies: tuple[str, ...] = ()
    rate_limit_enabled: bool = True
    rate_limits: Mapping[str, str] = field(default_factory=lambda: dict(RATE_LIMIT_DEFAULTS))
    hold_minutes: int = 30
    auto_migrate: bool = False
    db_pool_size: int = 20
    db_statement_timeout_ms: int = 10_000
    db_pgbouncer: bool = False
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 1_048_576
    run_worker: bool = False
    worker_interval_seconds: int = 10
    log_level: str = "INFO"

    @property
    def production(self) -> bool:
        return self.app_env == "production"

    def checked(self) -> Settings:
        """These settings, or SettingsError naming what is wrong."""
        if self.app_env not in ENVIRONMENTS:
            raise SettingsError(f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}")
        if self.production and len(self.jwt_secret.encode()) < 32:
            raise SettingsError("production needs a JWT_SECRET of at least 32 bytes")
        if self.production and self.payments_provider == "sandbox":
            raise SettingsError("production cannot take payments through the sandbox provider")
        if self.production and not self.database_url:
            raise SettingsError("production needs DATABASE_URL; the embedded PostgreSQL is for development")
        if self.payments_provider not in ("stripe", "sandbox"):
            raise SettingsError("PAYMENTS_PROVIDER is stripe or sandbox")
        if self.payments_provider == "stripe" and not self.stripe_secret_key:
            raise SettingsError("PAYMENTS_PROVIDER=stripe needs STRIPE_SECRET_KEY")
        if (
            self.production
            and self.payments_provider == "stripe"
            and not (self.stripe_webhook_secret or self.stripe_connect_webhook_secret)
        ):
            raise SettingsError("production needs STRIPE_WEBHOOK_SECRET to verify Stripe's webhooks")
        if not 30 <= self.hold_minutes <= 1439:
            # Checkout's expires_at is the hold end, HOLD_MINUTES + 1 ahead; Stripe refuses more than 24 h.
            raise SettingsError("HOLD_MINUTES must be between 30 and 1439")
        if not 0 <= self.platform_commission_bps <= 10_000:
            raise SettingsError("PLATFORM_COMMISSION_BPS must be between 0 and 10000")
        if not self.jwt_secret:
            raise SettingsError("JWT_SECRET is empty")
        for cidr in self.trusted_proxies:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError as exc:
                raise SettingsError(f"TRUSTED_PROXIES: {cidr!r} is not a CIDR") from exc
        return self


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{value!r} is not a boolean")


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name)
    try:
        return int(value) if value else default
    except ValueError as exc:
        raise SettingsError(f"{name} must be an integer") from exc


def _list(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def development_secret(state_dir: Path) -> str:
    """A JWT secret kept in ./.booking so restarts and worker processes agree; development only."""
    path = state_dir / "jwt-secret"
    if not path.exists():
        state_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def from_env(env: Mapping[str, str] | None = None, state_dir: Path | None = None) -> Settings:
    """Settings from environment variables (API.md section 0), checked."""
    env = os.environ if env is None else env
    app_env = env.get("APP_ENV", "development") or "development"
    secret = env.get("STRIPE_SECRET_KEY") or None
    provider = env.get("PAYMENTS_PROVIDER") or ("stripe" if secret else "sandbox")
    jwt_secret = env.get("JWT_SECRET", "")
    if not jwt_secret and app_env != "production":
        jwt_secret = development_secret(state_dir or Path.cwd() / ".booking")
    limits = {name: env.get(f"RATE_LIMIT_{name}") or default for name, default in RATE_LIMIT_DEFAULTS.items()}
    return Settings(
        app_env=app_env,
        database_url=env.get("DATABASE_URL") or None,
        redis_url=env.get("REDIS_URL") or None,
        jwt_secret=jwt_secret,
        jwt_issuer=env.get("JWT_ISSUER") or "booking-platform",
        jwt_audience=env.get("JWT_AUDIENCE") or "booking-platform-api",
        jwt_ttl_seconds=_int(env, "JWT_TTL_SECONDS", 900),
        stripe_secret_key=secret,
        stripe_publishable_key=env.get("STRIPE_PUBLISHABLE_KEY") or None,
        stripe_webhook_secret=env.get("STRIPE_WEBHOOK_SECRET") or None,
        stripe_connect_webhook_secret=env.get("STRIPE_CONNECT_WEBHOOK_SECRET") or None,
        stripe_api_base=env.get("STRIPE_API_BASE") or None,
        payments_provider=provider,
        platform_commission_bps=_int(env, "PLATFORM_COMMISSION_BPS", 1000),
        public_base_url=(env.get("PUBLIC_BASE_URL") or "http://localhost:8000").rstrip("/"),
        allowed_redirect_hosts=_list(env.get("ALLOWED_REDIRECT_HOSTS")),
        trusted_proxies=_list(env.get("TRUSTED_PROXIES")),
        rate_limit_enabled=_bool(env.get("RATE_LIMIT_ENABLED"), True),
        rate_limits=limits,
        hold_minutes=_int(env, "HOLD_MINUTES", 30),
        auto_migrate=_bool(env.get("AUTO_MIGRATE"), False),
        db_pool_size=_int(env, "DB_POOL_SIZE", 20),
        db_statement_timeout_ms=_int(env, "DB_STATEMENT_TIMEOUT_MS", 10_000),
        db_pgbouncer=_bool(env.get("DB_PGBOUNCER"), False),
        cors_origins=_list(env.get("CORS_ORIGINS")),
        max_body_bytes=_int(env, "MAX_BODY_BYTES", 1_048_576),
        run_worker=_bool(env.get("RUN_WORKER"), False),
        worker_interval_seconds=_int(env, "WORKER_INTERVAL_SECONDS", 10),
        log_level=(env.get("LOG_LEVEL") or "INFO").upper(),
    ).checked()
