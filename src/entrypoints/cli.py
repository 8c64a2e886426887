"""The `booking` command: serve, migrate, worker, demo, set-commission (API.md section 0)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from uvicorn.supervisors import Multiprocess

from domain.catalog import StripeAccount
from entrypoints.settings import Settings, SettingsError, from_env

if TYPE_CHECKING:
    from application.demo import DemoInfo

STATE_DIR = Path(".booking")


def _settings() -> Settings:
    try:
        return from_env(state_dir=Path.cwd() / STATE_DIR)
    except SettingsError as exc:
        raise SystemExit(f"booking: {exc}") from exc


def _embedded_url() -> str:
    from adapters.postgres.embedded import start_embedded

    return start_embedded(STATE_DIR / "pgdata")


def _migrate(url: str) -> None:
    from adapters.postgres.migrate import upgrade

    upgrade(url)


async def _seed_demo(settings: Settings) -> DemoInfo:
    from adapters.payments.sandbox_gateway import SandboxGateway
    from application.demo import seed_demo
    from application.webhooks import handle_event
    from entrypoints.composition import build_runtime

    runtime = build_runtime(settings)
    try:
        info = await seed_demo(runtime.ctx)
        gateway = runtime.ctx.gateway
        if info.created and isinstance(gateway, SandboxGateway):
            # With the sandbox the demo spa takes payments at once: onboarding completes on the spot.
            account = await gateway.create_account(info.organisation_id, None, "demo")
            async with runtime.ctx.uow() as uow:
                await uow.organisations.set_stripe(info.organisation_id, StripeAccount(account))
                await uow.commit()
            await handle_event(runtime.ctx, gateway.account_completed(account))
        return info
    finally:
        await runtime.close()


def _seed(settings: Settings) -> None:
    """Seed the demo once and print how to reach it; the password is kept in ./.booking for later starts."""
    info = asyncio.run(_seed_demo(settings))
    creds = STATE_DIR / "demo-credentials.txt"
    if info.created and info.password:
        STATE_DIR.mkdir(exist_ok=True)
        creds.write_text(f"{info.email}\n{info.password}\n")
        creds.chmod(0o600)
    password = info.password
    if password is None and creds.exists():
        password = creds.read_text().splitlines()[1]
    base = settings.public_base_url
    print("\nDemo organisation:", info.slug, "(created now)" if info.created else "(already seeded)")
    print(f"  staff login:   {info.email} / {password or '(shown when it was created)'}")
    print(f"  public page:   {base}/api/public/booking/organisations/{info.slug}")
    for name, token in info.resource_tokens.items():
        print(f"  {name + ':':<16} {base}/api/public/booking/{token}")
    print(f"  API docs:      {base}/schema\n", flush=True)


def serve(args: argparse.Namespace) -> None:
    import uvicorn

    if args.workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        # Several processes answer /metrics: they share one set of counters through this folder.
        metrics_dir = Path(tempfile.mkdtemp(prefix="booking-metrics-"))
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    os.environ.setdefault("PUBLIC_BASE_URL", f"http://localhost:{args.port}")
    settings = _settings()
    if settings.database_url is None:
        url = _embedded_url()
        os.environ["DATABASE_URL"] = url  # worker processes inherit it
        os.environ.setdefault("RUN_WORKER", "true")  # development: the background jobs run in-process
        settings = replace(settings, database_url=url)
        _migrate(url)
        _seed(settings)
    elif settings.auto_migrate:
        _migrate(settings.database_url)
    print(f"Serving on http://{args.host}:{args.port} with {args.workers} worker process(es)", flush=True)
    config = uvicorn.Config(
        "entrypoints.asgi:app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=settings.log_level.lower(),
        log_config=None,  # the app's JSON logging (entrypoints/logs.py) is set up in each process
        access_log=False,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=20,
    )
    if args.workers > 1:
        GracefulMultiprocess(config, sockets=[config.bind_socket()]).run()
    else:
        uvicorn.Server(config).run()


class GracefulMultiprocess(Multiprocess):
    """uvicorn's worker supervisor, closing its copy of the listening socket on SIGTERM or SIGINT.

    The workers finish their requests in flight; with the parent's copy closed too, the port stops
    accepting at once instead of queueing connections nobody will answer."""

    def _close_sockets(self) -> None:
        for sock in self.sockets:
            sock.close()

    def handle_term(self) -> None:
        self._close_sockets()
        super().handle_term()

    def handle_int(self) -> None:
        self._close_sockets()
        super().handle_int()


def migrate(_: argparse.Namespace) -> None:
    settings = _settings()
    if settings.database_url is None:
        raise SystemExit("booking migrate: set DATABASE_URL")
    _migrate(settings.database_url)
    print("Database is at the latest migration.")


def demo(_: argparse.Namespace) -> None:
    settings = _settings()
    if settings.database_url is None:
        raise SystemExit("booking demo: set DATABASE_URL")
    _seed(settings)


def set_commission(args: argparse.Namespace) -> None:
    from application.organisations import set_commission as apply
    from domain.errors import DomainError
    from entrypoints.composition import build_runtime

    settings = _settings()
    if settings.database_url is None:
        raise SystemExit("booking set-commission: set DATABASE_URL")
    try:
        bps = int(args.bps)
    except ValueError as exc:
        raise SystemExit("booking set-commission: BPS is an integer from 0 to 10000") from exc

    async def run() -> None:
        runtime = build_runtime(settings)
        try:
            await apply(runtime.ctx, args.slug, bps)
        finally:
            await runtime.close()

    try:
        asyncio.run(run())
    except DomainError as exc:
        raise SystemExit(f"booking set-commission: {exc.detail}") from exc
    print(f"Commission for {args.slug} is now {bps} bps.")


def worker(_: argparse.Namespace) -> None:
    from entrypoints.worker import run_worker

    settings = _settings()
    if settings.database_url is None:
        raise SystemExit("booking worker: set DATABASE_URL")
    asyncio.run(run_worker(settings))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="booking", description="Booking platform")
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("serve", help="run the HTTP API")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)
    p.set_defaults(func=serve)
    commands.add_parser("migrate", help="apply all migrations to DATABASE_URL").set_defaults(func=migrate)
    commands.add_parser("worker", help="run background jobs").set_defaults(func=worker)
    commands.add_parser("demo", help="seed the demo organisation into DATABASE_URL").set_defaults(func=demo)
    p = commands.add_parser("set-commission", help="the platform's commission for one organisation")
    p.add_argument("slug")
    p.add_argument("bps")
    p.set_defaults(func=set_commission)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
