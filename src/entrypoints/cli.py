"""The `booking` command: serve, migrate, worker, demo, set-commission (API.md section 0).

Whatever goes wrong before serving (a refused configuration, a database that cannot be reached) is said in
one line on stderr with a non-zero exit, never as a traceback."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeVar

from uvicorn.supervisors import Multiprocess

from domain.catalog import StripeAccount
from entrypoints.settings import Settings, SettingsError, from_env

if TYPE_CHECKING:
    from application.demo import DemoInfo

T = TypeVar("T")
STATE_DIR = Path(".booking")
CREDENTIALS = STATE_DIR / "demo-credentials.txt"  # the embedded database's demo login, for later starts


def _fail(command: str, message: str) -> NoReturn:
    raise SystemExit(f"booking {command}: {message}")


def _settings(command: str, serving: bool = True) -> Settings:
    try:
        return from_env(state_dir=Path.cwd() / STATE_DIR, serving=serving)
    except SettingsError as exc:
        _fail(command, f"refusing to start: {exc}")


def _database(command: str, settings: Settings) -> str:
    if settings.database_url is None:
        _fail(command, "set DATABASE_URL, e.g. postgresql://user:password@host:5432/booking")
    return settings.database_url


def _on_database(command: str, url: str, work: Callable[[], T]) -> T:
    """Run database work; a database that cannot be used is one line and exit 1."""
    from adapters.postgres.schema import describe_failure
    from domain.errors import DomainError, Unavailable

    try:
        return work()
    except Unavailable as exc:  # the database could not be reached: say why, from what caused it
        _fail(command, describe_failure(exc.__cause__ or exc, url))
    except DomainError as exc:
        _fail(command, exc.detail)
    except Exception as exc:  # any other failure to reach or use the database
        _fail(command, describe_failure(exc, url))


def _embedded_url() -> str:
    from adapters.postgres.embedded import start_embedded

    return start_embedded(STATE_DIR / "pgdata")


def _migrate(command: str, url: str) -> None:
    from adapters.postgres.migrate import upgrade_reporting

    applied, head = _on_database(command, url, lambda: upgrade_reporting(url))
    for step in applied:
        print(f"Applied {step.revision}: {step.title}", flush=True)
    if not applied:
        print(f"Nothing to apply: the database is at the latest migration ({head}).", flush=True)
    else:
        print(f"The database is at the latest migration ({head}).", flush=True)


async def _seed_demo(settings: Settings) -> DemoInfo:
    from adapters.payments.sandbox_gateway import SandboxGateway
    from application.demo import seed_demo
    from entrypoints.composition import build_runtime

    runtime = build_runtime(settings)
    cases = runtime.use_cases
    try:
        info = await seed_demo(runtime.uow, cases.accounts, cases.organisations, cases.catalog)
        gateway = runtime.gateway
        if info.created and isinstance(gateway, SandboxGateway):
            # With the sandbox the demo spa takes payments at once: onboarding completes on the spot.
            account = await gateway.create_account(info.organisation_id, None, "demo")
            async with runtime.uow() as uow:
                await uow.organisations.set_stripe(info.organisation_id, StripeAccount(account))
                await uow.commit()
            await cases.handle_provider_event(gateway.account_completed(account))
        return info
    finally:
        await runtime.close()


def _seed(command: str, settings: Settings, keep_credentials: bool) -> None:
    """Seed the demo once and print how to reach it. Only the embedded database's login is kept in
    ./.booking, for later starts: a demo seeded elsewhere must not overwrite it."""
    url = _database(command, settings)
    info = _on_database(command, url, lambda: asyncio.run(_seed_demo(settings)))
    password = info.password
    if keep_credentials and info.created and info.password:
        STATE_DIR.mkdir(exist_ok=True)
        CREDENTIALS.write_text(f"{info.email}\n{info.password}\n")
        CREDENTIALS.chmod(0o600)
    if keep_credentials and password is None and CREDENTIALS.exists():
        password = CREDENTIALS.read_text().splitlines()[1]
    base = settings.public_base_url
    print(f"\nBooking page:    {base}/book/{info.slug}")
    print("Demo organisation:", info.slug, "(created now)" if info.created else "(already seeded)")
    print(f"  staff login:   {info.email} / {password or '(shown when it was created)'}")
    print(f"  public API:    {base}/api/public/booking/organisations/{info.slug}")
    for name, token in info.resource_tokens.items():
        print(f"  {name + ':':<16} {base}/book/r/{token}  (API: {base}/api/public/booking/{token})")
    print(f'  widget:        <script src="{base}/widget.js" data-organisation="{info.slug}" async></script>')
    print(f"  API docs:      {base}/schema\n", flush=True)


def serve(args: argparse.Namespace) -> None:
    import uvicorn

    if args.workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        # Several processes answer /metrics: they share one set of counters through this folder.
        metrics_dir = Path(tempfile.mkdtemp(prefix="booking-metrics-"))
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    os.environ.setdefault("PUBLIC_BASE_URL", f"http://localhost:{args.port}")
    settings = _settings("serve")
    if settings.database_url is None:
        url = _embedded_url()
        os.environ["DATABASE_URL"] = url  # worker processes inherit it
        os.environ.setdefault("RUN_WORKER", "true")  # development: the background jobs run in-process
        settings = replace(settings, database_url=url, run_worker=True)
        _migrate("serve", url)
        _seed("serve", settings, keep_credentials=True)
    elif settings.auto_migrate:
        _migrate("serve", settings.database_url)
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
    settings = _settings("migrate", serving=False)
    _migrate("migrate", _database("migrate", settings))


def demo(_: argparse.Namespace) -> None:
    settings = _settings("demo", serving=False)
    if settings.production:
        _fail("demo", "refusing to seed demo data into a production database (APP_ENV=production)")
    _seed("demo", settings, keep_credentials=False)


def set_commission(args: argparse.Namespace) -> None:
    from entrypoints.composition import build_runtime

    settings = _settings("set-commission", serving=False)
    url = _database("set-commission", settings)
    try:
        bps = int(args.bps)
    except ValueError:
        _fail("set-commission", "BPS is an integer from 0 to 10000")

    async def run() -> None:
        runtime = build_runtime(settings)
        try:
            await runtime.use_cases.organisations.set_commission(args.slug, bps)
        finally:
            await runtime.close()

    _on_database("set-commission", url, lambda: asyncio.run(run()))
    print(f"Commission for {args.slug} is now {bps} bps.")


def worker(_: argparse.Namespace) -> None:
    from entrypoints.worker import run_worker

    settings = _settings("worker")
    _database("worker", settings)
    asyncio.run(run_worker(settings))


def _version() -> str:
    try:
        return version("booking-platform")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree without installing
        return "unknown"


COMMON = "APP_ENV (development, test, production), DATABASE_URL (postgresql://user:password@host:5432/db)"
SERVING = (
    "JWT_SECRET, JWT_ISSUER, JWT_AUDIENCE, JWT_TTL_SECONDS, STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY, "
    "STRIPE_WEBHOOK_SECRET, STRIPE_CONNECT_WEBHOOK_SECRET, STRIPE_API_BASE, PAYMENTS_PROVIDER, "
    "PLATFORM_COMMISSION_BPS, PUBLIC_BASE_URL, ALLOWED_REDIRECT_HOSTS, HOLD_MINUTES, LOG_LEVEL, "
    "DB_POOL_SIZE, DB_STATEMENT_TIMEOUT_MS, DB_PGBOUNCER"
)
HTTP = (
    "REDIS_URL, TRUSTED_PROXIES, RATE_LIMIT_ENABLED, RATE_LIMIT_<NAME>, CORS_ORIGINS, MAX_BODY_BYTES, "
    "METRICS_TOKEN, AUTO_MIGRATE, RUN_WORKER, WORKER_INTERVAL_SECONDS"
)


def _command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    summary: str,
    description: str,
    variables: str,
) -> argparse.ArgumentParser:
    return commands.add_parser(
        name,
        help=summary,
        description=description,
        epilog=f"Environment: {variables}.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="booking",
        description="The booking platform: its HTTP API, background worker and database tools.",
        epilog="Run `booking COMMAND --help` for a command's options and the variables it reads.",
    )
    top.add_argument("--version", action="version", version=f"booking {_version()}")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = _command(
        commands,
        "serve",
        "run the HTTP API",
        "Serve the HTTP API. Without DATABASE_URL (development) it starts an embedded PostgreSQL in "
        "./.booking/, migrates it, seeds the demo organisation once and runs the background jobs "
        "in-process.",
        f"{COMMON}, {SERVING}, {HTTP}",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=8000, help="port to listen on")
    p.add_argument("--workers", type=int, default=1, help="server processes")
    p.set_defaults(func=serve)
    _command(
        commands,
        "migrate",
        "apply all migrations to DATABASE_URL",
        "Apply every migration still due to DATABASE_URL and say which; running it again applies nothing.",
        COMMON,
    ).set_defaults(func=migrate)
    _command(
        commands,
        "worker",
        "run the background jobs",
        "Run the background jobs in a loop: expire payment holds, reconcile payments with Stripe, "
        "complete past reservations, forget old idempotency keys. Several workers may run at once.",
        f"{COMMON}, {SERVING}, WORKER_INTERVAL_SECONDS",
    ).set_defaults(func=worker)
    _command(
        commands,
        "demo",
        "seed the demo organisation into DATABASE_URL",
        "Seed the demo organisation acme-spa, its staff login and resources into DATABASE_URL once, and "
        "print the login and URLs. Refused in production.",
        f"{COMMON}, PUBLIC_BASE_URL",
    ).set_defaults(func=demo)
    p = _command(
        commands,
        "set-commission",
        "the platform's commission for one organisation",
        "Set the platform operator's commission for one organisation, in basis points of the total.",
        COMMON,
    )
    p.add_argument("slug", help="the organisation's slug")
    p.add_argument("bps", help="basis points, 0 to 10000 (1000 = 10 %%)")
    p.set_defaults(func=set_commission)
    return top


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    args.func(args)


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
