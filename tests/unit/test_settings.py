"""Settings from the environment: defaults, overrides, and what production refuses."""

from pathlib import Path
from typing import Any

import pytest

from entrypoints.settings import SettingsError, from_env

STRONG = "s" * 40


def test_development_defaults(tmp_path: Path) -> None:
    settings = from_env({}, state_dir=tmp_path)
    assert settings.app_env == "development"
    assert settings.payments_provider == "sandbox"
    assert settings.hold_minutes == 30
    assert settings.platform_commission_bps == 1000
    assert settings.rate_limits["PUBLIC_RESERVE"] == "10/minute"
    assert len(settings.jwt_secret) >= 32
    assert from_env({}, state_dir=tmp_path).jwt_secret == settings.jwt_secret  # kept for restarts and workers


def test_overrides(tmp_path: Path) -> None:
    settings = from_env(
        {
            "RATE_LIMIT_PUBLIC_RESERVE": "3/second",
            "HOLD_MINUTES": "45",
            "STRIPE_SECRET_KEY": "sk_test_1",
            "ALLOWED_REDIRECT_HOSTS": "a.example, b.example",
            "TRUSTED_PROXIES": "10.0.0.0/8",
        },
        state_dir=tmp_path,
    )
    assert settings.rate_limits["PUBLIC_RESERVE"] == "3/second"
    assert settings.hold_minutes == 45
    assert settings.payments_provider == "stripe"  # the default once a key is set
    # development also allows return pages on PUBLIC_BASE_URL's own host (defect 25)
    assert settings.allowed_redirect_hosts == ("a.example", "b.example", "localhost")


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        (
            {
                "APP_ENV": "production",
                "DATABASE_URL": "postgresql://x/y",
                "STRIPE_SECRET_KEY": "sk",
                "STRIPE_WEBHOOK_SECRET": "w",
            },
            "JWT_SECRET",
        ),
        ({"APP_ENV": "production", "JWT_SECRET": "short", "DATABASE_URL": "postgresql://x/y"}, "JWT_SECRET"),
        ({"APP_ENV": "production", "JWT_SECRET": STRONG, "DATABASE_URL": "postgresql://x/y"}, "sandbox"),
        (
            {
                "APP_ENV": "production",
                "JWT_SECRET": STRONG,
                "STRIPE_SECRET_KEY": "sk",
                "STRIPE_WEBHOOK_SECRET": "w",
            },
            "DATABASE_URL",
        ),
        (
            {
                "APP_ENV": "production",
                "JWT_SECRET": STRONG,
                "DATABASE_URL": "postgresql://x/y",
                "STRIPE_SECRET_KEY": "sk",
            },
            "STRIPE_WEBHOOK_SECRET",
        ),
        ({"HOLD_MINUTES": "29"}, "HOLD_MINUTES"),
        ({"HOLD_MINUTES": "1441"}, "HOLD_MINUTES"),
        # defect 8: 1440 + the extra minute puts Checkout's expires_at past Stripe's 24 hours
        ({"HOLD_MINUTES": "1440"}, "HOLD_MINUTES"),
        ({"PLATFORM_COMMISSION_BPS": "10001"}, "PLATFORM_COMMISSION_BPS"),
        ({"TRUSTED_PROXIES": "not-a-network"}, "TRUSTED_PROXIES"),
        ({"APP_ENV": "staging"}, "APP_ENV"),
        ({"PAYMENTS_PROVIDER": "stripe"}, "STRIPE_SECRET_KEY"),
        ({"RATE_LIMIT_ENABLED": "maybe"}, "boolean"),
    ],
)
def test_refused_configurations(tmp_path: Path, env: dict[str, str], complaint: str) -> None:
    with pytest.raises(SettingsError, match=complaint):
        from_env(env, state_dir=tmp_path)


def test_the_longest_hold_checkout_accepts(tmp_path: Path) -> None:
    assert from_env({"HOLD_MINUTES": "1439"}, state_dir=tmp_path).hold_minutes == 1439


def test_production_with_everything_set_starts(tmp_path: Path) -> None:
    settings = from_env(
        {
            "APP_ENV": "production",
            "JWT_SECRET": STRONG,
            "DATABASE_URL": "postgresql://x/y",
            "STRIPE_SECRET_KEY": "sk_live_x",
            "STRIPE_WEBHOOK_SECRET": "whsec_x",
            "METRICS_TOKEN": "m" * 32,
            "PUBLIC_BASE_URL": "https://book.example",
            "SMTP_URL": "smtp://mailer:secret@mail.book.example:587",
        },
        state_dir=tmp_path,
    )
    assert settings.production
    assert settings.mail_from == "bookings@book.example"
    assert settings.allowed_redirect_hosts == ()  # production allows only what it is told
    assert not (tmp_path / "jwt-secret").exists()  # production never invents a secret


def test_production_lists_every_refusal_at_once(tmp_path: Path) -> None:
    """Defect 23: refusals came one at a time, and an unset STRIPE_SECRET_KEY was talked of as 'the sandbox'."""
    with pytest.raises(SettingsError) as refused:
        from_env({"APP_ENV": "production", "JWT_SECRET": "short", "HOLD_MINUTES": "ten"}, state_dir=tmp_path)
    message = str(refused.value)
    assert "\n" not in message  # one line
    for complaint in (
        "DATABASE_URL",
        "JWT_SECRET",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "METRICS_TOKEN",
        "SMTP_URL",
        "HOLD_MINUTES",
    ):
        assert complaint in message, complaint


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"RATE_LIMIT_PUBLIC_RESERVE": "lots"}, "RATE_LIMIT_PUBLIC_RESERVE"),
        ({"RATE_LIMIT_PUBLIC_RESERV": "5/minute"}, "RATE_LIMIT_PUBLIC_RESERV names no limit"),
        ({"RATE_LIMIT_AUTHENTICATED": "-3/minute"}, "RATE_LIMIT_AUTHENTICATED"),
        ({"DATABASE_URL": "mysql://root@localhost/booking"}, "DATABASE_URL must start with postgresql://"),
        ({"DATABASE_URL": "garbage"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql://"}, "DATABASE_URL needs a host"),
        ({"WORKER_INTERVAL_SECONDS": "0"}, "WORKER_INTERVAL_SECONDS"),
    ],
)
def test_malformed_values_are_refused_at_start(tmp_path: Path, env: dict[str, str], complaint: str) -> None:
    with pytest.raises(SettingsError, match=complaint):
        from_env(env, state_dir=tmp_path)


def test_database_commands_need_no_secrets(tmp_path: Path) -> None:
    """migrate and set-commission reach only the database: production secrets are not theirs to demand."""
    env = {"APP_ENV": "production", "DATABASE_URL": "postgresql://booking@db.example/booking"}
    settings = from_env(env, state_dir=tmp_path, serving=False)
    assert settings.database_url == env["DATABASE_URL"]
    assert not (tmp_path / "jwt-secret").exists()
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        from_env({"DATABASE_URL": "mysql://x/y"}, state_dir=tmp_path, serving=False)


def test_the_development_mailbox_and_the_sandbox_exist_only_outside_production(tmp_path: Path) -> None:
    from dataclasses import replace

    from entrypoints.app import create_app

    def paths(settings: Any) -> set[str]:
        return {route.path for route in create_app(settings).routes}

    development = from_env({"DATABASE_URL": "postgresql://x/y"}, state_dir=tmp_path)
    assert {"/dev/mail", "/sandbox/cards"} <= paths(development)
    assert "/dev/mail" not in paths(replace(development, smtp_url="smtp://mail.example:25"))  # mail is sent
    production = from_env(
        {
            "APP_ENV": "production",
            "JWT_SECRET": STRONG,
            "DATABASE_URL": "postgresql://x/y",
            "STRIPE_SECRET_KEY": "sk_live_x",
            "STRIPE_WEBHOOK_SECRET": "whsec_x",
            "METRICS_TOKEN": "m" * 32,
            "PUBLIC_BASE_URL": "https://book.example",
            "SMTP_URL": "smtp://mailer:secret@mail.book.example:587",
        },
        state_dir=tmp_path,
    )
    served = paths(production)
    assert "/book/{slug:str}" in served
    assert not any(p.startswith(("/dev/", "/sandbox")) for p in served)
