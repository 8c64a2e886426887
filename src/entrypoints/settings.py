"""Settings, read once from the environment by the CLI and handed to create_app.

Every problem of a configuration is reported at once, in one line: an operator fixes them in one go."""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from limits import parse as parse_limit

RATE_LIMIT_DEFAULTS = {
    "PUBLIC_CATALOG": "120/minute",
    "PUBLIC_AVAILABILITY": "120/minute",
    "PUBLIC_QUOTE": "60/minute",
    "PUBLIC_RESERVE": "10/minute",
    "PUBLIC_CHECKOUT_STATUS": "60/minute",
    "PUBLIC_CHECKOUT_RETRY": "10/minute",
    "PUBLIC_MANAGE": "30/minute",
    "AUTH_LOGIN": "10/minute",
    "AUTH_REGISTER": "10/minute",
    # per credential (an API key, or all of one user's access tokens) over every authenticated route
    "AUTHENTICATED": "600/minute",
}
ENVIRONMENTS = ("development", "test", "production")
DATABASE_SCHEMES = ("postgresql", "postgres", "postgresql+asyncpg")


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
    metrics_token: str | None = None
    outbound_allow_private: bool = True
    webhook_retry_scale: float = 1.0  # < 1 runs the retry schedule faster (tests); production keeps 1
    data_encryption_key: str | None = None  # seals stored secrets; derived from JWT_SECRET when unset
    smtp_url: str | None = None
    mail_retry_scale: float = 1.0  # like webhook_retry_scale, for refused e-mail
    mail_from_address: str | None = None
    mail_folder: str = ".booking/mail"  # development without SMTP_URL: messages land here

    @property
    def mail_from(self) -> str:
        return self.mail_from_address or f"bookings@{urlsplit(self.public_base_url).hostname or 'localhost'}"

    @property
    def sealing_key(self) -> str:
        """What stored secrets (webhook signing secrets) are sealed under."""
        return self.data_encryption_key or "jwt:" + self.jwt_secret

    @property
    def production(self) -> bool:
        return self.app_env == "production"

    def problems(self, serving: bool = True) -> list[str]:
        """What is wrong with these settings; `serving=False` for commands that only reach the database."""
        found = []
        if self.app_env not in ENVIRONMENTS:
            found.append(f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}")
        if self.production and not self.database_url:
            found.append("production needs DATABASE_URL; the embedded PostgreSQL is for development")
        if self.database_url:
            found += database_url_problems(self.database_url)
        if not 1 <= self.db_pool_size <= 1000:
            found.append("DB_POOL_SIZE must be between 1 and 1000")
        if not serving:
            return found
        found += self._payment_problems()
        if self.production and len(self.jwt_secret.encode()) < 32:
            found.append("production needs a JWT_SECRET of at least 32 bytes")
        elif not self.jwt_secret:
            found.append("JWT_SECRET is empty")
        if self.production and not self.metrics_token:
            found.append("production needs METRICS_TOKEN: /metrics is not for everyone")
        if not 30 <= self.hold_minutes <= 1439:
            # Checkout's expires_at is the hold end, HOLD_MINUTES + 1 ahead; Stripe refuses more than 24 h.
            found.append("HOLD_MINUTES must be between 30 and 1439")
        if not 0 <= self.platform_commission_bps <= 10_000:
            found.append("PLATFORM_COMMISSION_BPS must be between 0 and 10000")
        if not 1 <= self.worker_interval_seconds <= 3600:
            found.append("WORKER_INTERVAL_SECONDS must be between 1 and 3600")
        if not 0 < self.webhook_retry_scale <= 1 or (self.production and self.webhook_retry_scale != 1):
            found.append("WEBHOOK_RETRY_SCALE must be above 0 and at most 1, and 1 in production")
        if not 0 < self.mail_retry_scale <= 1 or (self.production and self.mail_retry_scale != 1):
            found.append("MAIL_RETRY_SCALE must be above 0 and at most 1, and 1 in production")
        if self.production and not self.smtp_url:
            found.append("production needs SMTP_URL: customers must be told of their bookings")
        if self.smtp_url:
            found += _smtp_problems(self.smtp_url)
        if self.production and self.data_encryption_key is not None and len(self.data_encryption_key) < 32:
            found.append("DATA_ENCRYPTION_KEY must be at least 32 bytes in production")
        for cidr in self.trusted_proxies:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                found.append(f"TRUSTED_PROXIES: {cidr!r} is not a CIDR")
        for name, value in self.rate_limits.items():
            try:
                parse_limit(value)
            except ValueError:
                found.append(f"RATE_LIMIT_{name}: {value!r} is not a limit such as 10/minute")
        return found

    def _payment_problems(self) -> list[str]:
        if self.payments_provider not in ("stripe", "sandbox"):
            return ["PAYMENTS_PROVIDER is stripe or sandbox"]
        found = []
        if self.payments_provider == "stripe" and not self.stripe_secret_key:
            found.append("payments through Stripe need STRIPE_SECRET_KEY")
        if self.production and self.payments_provider == "sandbox":
            found.append(
                "production needs STRIPE_SECRET_KEY (payments go through Stripe; the sandbox provider "
                "is for development)"
            )
        if self.production and not (self.stripe_webhook_secret or self.stripe_connect_webhook_secret):
            found.append("production needs STRIPE_WEBHOOK_SECRET to verify Stripe's webhooks")
        return found

    def checked(self, serving: bool = True) -> Settings:
        """These settings, or SettingsError naming everything that is wrong."""
        found = self.problems(serving)
        if found:
            raise SettingsError("; ".join(found))
        return self


def database_url_problems(url: str) -> list[str]:
    """DATABASE_URL must name a PostgreSQL server: a scheme we speak and a host (or socket) and database."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ["DATABASE_URL is not a URL such as postgresql://user:password@host:5432/booking"]
    if parts.scheme not in DATABASE_SCHEMES:
        given = f"{parts.scheme}://" if parts.scheme else "no scheme"
        return [f"DATABASE_URL must start with postgresql:// (not {given})"]
    if not (parts.hostname or "host=" in parts.query) or not parts.path.strip("/"):
        return ["DATABASE_URL needs a host and a database, e.g. postgresql://user:password@host:5432/booking"]
    return []


class _Reader:
    """Reads variables, keeping every malformed one as a problem instead of stopping at the first."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []

    def text(self, name: str, default: str | None = None) -> str | None:
        return self.env.get(name) or default

    def boolean(self, name: str, default: bool) -> bool:
        value = self.env.get(name)
        if value is None or value == "":
            return default
        if value.lower() in ("1", "true", "yes", "on"):
            return True
        if value.lower() in ("0", "false", "no", "off"):
            return False
        self.problems.append(f"{name}: {value!r} is not a boolean (true or false)")
        return default

    def integer(self, name: str, default: int) -> int:
        value = self.env.get(name)
        if not value:
            return default
        try:
            return int(value)
        except ValueError:
            self.problems.append(f"{name} must be an integer, not {value!r}")
            return default

    def number(self, name: str, default: float) -> float:
        value = self.env.get(name)
        if not value:
            return default
        try:
            return float(value)
        except ValueError:
            self.problems.append(f"{name} must be a number, not {value!r}")
            return default

    def items(self, name: str) -> tuple[str, ...]:
        return tuple(part.strip() for part in (self.env.get(name) or "").split(",") if part.strip())


def development_secret(state_dir: Path) -> str:
    """A JWT secret kept in ./.booking so restarts and worker processes agree; development only."""
    path = state_dir / "jwt-secret"
    if not path.exists():
        state_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _rate_limits(read: _Reader) -> dict[str, str]:
    limits = {
        name: read.text(f"RATE_LIMIT_{name}") or default for name, default in RATE_LIMIT_DEFAULTS.items()
    }
    for variable in read.env:
        name = variable.removeprefix("RATE_LIMIT_")
        if variable.startswith("RATE_LIMIT_") and name != "ENABLED" and name not in RATE_LIMIT_DEFAULTS:
            read.problems.append(
                f"{variable} names no limit; the limits are {', '.join(RATE_LIMIT_DEFAULTS)}"
            )
    return limits


def _smtp_problems(url: str) -> list[str]:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        return ["SMTP_URL is not a URL"]
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        return ["SMTP_URL must be smtp://[user:pass@]host:port or smtps://[user:pass@]host:port"]
    return []


def _redirect_hosts(read: _Reader, production: bool, public_base_url: str) -> tuple[str, ...]:
    hosts = read.items("ALLOWED_REDIRECT_HOSTS")
    own = urlsplit(public_base_url).hostname
    if not production and own and own not in hosts:
        hosts = (*hosts, own)  # development: return pages on the server itself (localhost) are fine
    return hosts


def from_env(
    env: Mapping[str, str] | None = None, state_dir: Path | None = None, serving: bool = True
) -> Settings:
    """Settings from environment variables (API.md section 0), checked; `serving=False` for the commands
    that only reach the database (migrate, demo, set-commission): they need no secrets."""
    read = _Reader(os.environ if env is None else env)
    app_env = read.text("APP_ENV", "development") or "development"
    production = app_env == "production"
    secret = read.text("STRIPE_SECRET_KEY")
    jwt_secret = read.text("JWT_SECRET", "") or ""
    if not jwt_secret and not production and serving:
        jwt_secret = development_secret(state_dir or Path.cwd() / ".booking")
    public_base_url = (read.text("PUBLIC_BASE_URL") or "http://localhost:8000").rstrip("/")
    settings = Settings(
        app_env=app_env,
        database_url=read.text("DATABASE_URL"),
        redis_url=read.text("REDIS_URL"),
        jwt_secret=jwt_secret,
        jwt_issuer=read.text("JWT_ISSUER") or "booking-platform",
        jwt_audience=read.text("JWT_AUDIENCE") or "booking-platform-api",
        jwt_ttl_seconds=read.integer("JWT_TTL_SECONDS", 900),
        stripe_secret_key=secret,
        stripe_publishable_key=read.text("STRIPE_PUBLISHABLE_KEY"),
        stripe_webhook_secret=read.text("STRIPE_WEBHOOK_SECRET"),
        stripe_connect_webhook_secret=read.text("STRIPE_CONNECT_WEBHOOK_SECRET"),
        stripe_api_base=read.text("STRIPE_API_BASE"),
        payments_provider=read.text("PAYMENTS_PROVIDER") or ("stripe" if secret else "sandbox"),
        platform_commission_bps=read.integer("PLATFORM_COMMISSION_BPS", 1000),
        public_base_url=public_base_url,
        allowed_redirect_hosts=_redirect_hosts(read, production, public_base_url),
        trusted_proxies=read.items("TRUSTED_PROXIES"),
        rate_limit_enabled=read.boolean("RATE_LIMIT_ENABLED", True),
        rate_limits=_rate_limits(read),
        hold_minutes=read.integer("HOLD_MINUTES", 30),
        auto_migrate=read.boolean("AUTO_MIGRATE", False),
        db_pool_size=read.integer("DB_POOL_SIZE", 20),
        db_statement_timeout_ms=read.integer("DB_STATEMENT_TIMEOUT_MS", 10_000),
        db_pgbouncer=read.boolean("DB_PGBOUNCER", False),
        cors_origins=read.items("CORS_ORIGINS"),
        max_body_bytes=read.integer("MAX_BODY_BYTES", 1_048_576),
        run_worker=read.boolean("RUN_WORKER", False),
        worker_interval_seconds=read.integer("WORKER_INTERVAL_SECONDS", 10),
        log_level=(read.text("LOG_LEVEL") or "INFO").upper(),
        metrics_token=read.text("METRICS_TOKEN"),
        outbound_allow_private=read.boolean("OUTBOUND_ALLOW_PRIVATE", not production),
        webhook_retry_scale=read.number("WEBHOOK_RETRY_SCALE", 1.0),
        data_encryption_key=read.text("DATA_ENCRYPTION_KEY"),
        smtp_url=read.text("SMTP_URL"),
        mail_retry_scale=read.number("MAIL_RETRY_SCALE", 1.0),
        mail_from_address=read.text("MAIL_FROM"),
        mail_folder=str((state_dir or Path.cwd() / ".booking") / "mail"),
    )
    found = read.problems + settings.problems(serving)
    if found:
        raise SettingsError("; ".join(found))
    return settings
