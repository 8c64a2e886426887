"""The composition root: settings in, adapters built, use cases handed their ports."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from adapters.calendar import IcsWriter
from adapters.clock import SystemClock
from adapters.heavy_work import ThreadedHeavyWork
from adapters.ical_import import HttpCalendarSource
from adapters.mail.composer import TemplateComposer
from adapters.mail.senders import FolderSender, SmtpSender
from adapters.metrics import PrometheusMetrics
from adapters.outbound import HttpWebhookSender, OutboundGuard
from adapters.payments.sandbox_gateway import SandboxGateway
from adapters.payments.stripe_gateway import StripeGateway
from adapters.postgres.idempotency import SqlIdempotencyStore
from adapters.postgres.public_reads import SqlPublicReads
from adapters.postgres.schema import head_revision
from adapters.postgres.uow import SqlUnitOfWork
from adapters.postgres.urls import async_url
from adapters.security import Argon2Passwords, JwtTokens, SecretBox, sha256_hex
from application.access import Authenticate
from application.api_keys import ApiKeyAdmin
from application.calendar import PublicCalendar
from application.calendars import BlockAdmin, BookingCalendar, CalendarFeeds, ImportCalendars
from application.cancel import CancelReservation, RefundReservation, ReservationLedger
from application.card_payments import CardPayments
from application.card_ports import CardVault
from application.catalog import CatalogAdmin
from application.checkout import Checkouts, CheckoutStatus, CheckoutTerms, ManageTokens
from application.connect import StripeConnect
from application.customer_bookings import CustomerBookings
from application.identity import Accounts
from application.jobs import BackgroundJobs
from application.mail import FindBooking, PurgeMail, QueueMail, RemindCustomers, SendMail
from application.mail_ports import MailSender
from application.organisations import OrganisationAdmin
from application.outbox import CountEvents, DispatchOutbox, PurgeOutbox
from application.payment_links import PaymentLinks
from application.payment_ports import PaymentGateway
from application.payments import Cashier
from application.ports import UnitOfWork, UnitOfWorkFactory
from application.public_booking import PublicAvailability, PublicQuote, PublicReserve
from application.reservations import (
    CreateReservation,
    DeleteReservation,
    ReservationQueries,
    UpdateReservation,
)
from application.retry import RetryCheckout
from application.saved_cards import SavedCardAdmin
from application.self_service import SelfService
from application.storefront import Entry, Storefronts
from application.webhook_delivery import DeliverWebhooks, FanOutWebhooks, PurgeDeliveries
from application.webhook_endpoints import WebhookAdmin
from application.webhooks import HandleProviderEvent
from domain.catalog import Organisation
from domain.reservation import Reservation
from entrypoints.http import present
from entrypoints.http.links import status_url
from entrypoints.settings import Settings


@dataclass(frozen=True)
class UseCases:
    """Every use case, each handed exactly the ports it needs: what the HTTP routes, the worker and the CLI
    call. Built here and nowhere else."""

    authenticate: Authenticate
    accounts: Accounts
    api_keys: ApiKeyAdmin
    organisations: OrganisationAdmin
    catalog: CatalogAdmin
    connect: StripeConnect
    create_reservation: CreateReservation
    reservations: ReservationQueries
    update_reservation: UpdateReservation
    delete_reservation: DeleteReservation
    cancel_reservation: CancelReservation
    refund_reservation: RefundReservation
    ledger: ReservationLedger
    storefronts: Storefronts
    availability: PublicAvailability
    calendar: PublicCalendar
    quote: PublicQuote
    reserve: PublicReserve
    checkout_status: CheckoutStatus
    retry_checkout: RetryCheckout
    self_service: SelfService
    handle_provider_event: HandleProviderEvent
    jobs: BackgroundJobs
    webhooks: WebhookAdmin
    find_booking: FindBooking
    blocks: BlockAdmin
    feeds: CalendarFeeds
    booking_calendar: BookingCalendar
    customer_bookings: CustomerBookings
    payment_links: PaymentLinks
    saved_cards: SavedCardAdmin


@dataclass
class Runtime:
    """Everything a process serves with; built once per process, closed on shutdown."""

    settings: Settings
    engine: AsyncEngine
    read_engine: AsyncEngine  # the same pool in AUTOCOMMIT: single reads without BEGIN and ROLLBACK
    use_cases: UseCases
    gateway: PaymentGateway
    tokens: JwtTokens
    uow: UnitOfWorkFactory
    idempotency: SqlIdempotencyStore
    schema_head: str | None = None  # the migration this code expects the database at
    closing: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def close(self) -> None:
        close = getattr(self.gateway, "close", None)
        if close is not None:
            await close()
        for more in self.closing:
            await more()
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

    box = SecretBox(settings.sealing_key)

    def uow() -> UnitOfWork:
        return SqlUnitOfWork(engine, box)

    def single_statement() -> UnitOfWork:
        return SqlUnitOfWork(read_engine, box, transactional=False)

    clock, metrics, gateway = SystemClock(), PrometheusMetrics(), make_gateway(settings, engine)
    tokens = JwtTokens(
        settings.jwt_secret, settings.jwt_issuer, settings.jwt_audience, settings.jwt_ttl_seconds
    )
    idempotency = SqlIdempotencyStore(engine)
    reads = SqlPublicReads(read_engine)
    # Manage tokens are HMACs under a key of their own, derived from the JWT secret.
    manage_tokens = ManageTokens(
        hmac.new(settings.jwt_secret.encode(), b"booking manage tokens", hashlib.sha256).digest()
    )
    terms = CheckoutTerms(
        settings.hold_minutes, settings.platform_commission_bps, settings.allowed_redirect_hosts
    )
    cashier = Cashier(gateway, clock)
    checkouts = Checkouts(uow, gateway, clock, cashier, terms)
    guard = OutboundGuard(settings.outbound_allow_private)
    sender = HttpWebhookSender(guard)

    def manage_url(reservation: Reservation) -> str | None:
        nonce = reservation.manage_token_nonce
        return f"{settings.public_base_url}/manage/{manage_tokens.token(nonce)}" if nonce else None

    feed_tokens = ManageTokens(
        hmac.new(settings.jwt_secret.encode(), b"booking calendar feeds", hashlib.sha256).digest()
    )
    calendar_source = HttpCalendarSource(guard)
    self_service = SelfService(uow, clock, sha256_hex, cashier, checkouts)
    booking_calendar = BookingCalendar(self_service, IcsWriter())
    retry = RetryCheckout(uow, clock, gateway, checkouts)

    card_payments = CardPayments(uow, clock, gateway, checkouts, retry, settings.stripe_publishable_key)

    def status_of(org: Organisation) -> str:
        return status_url(settings.public_base_url, Entry(slug=org.slug))

    send_mail = SendMail(
        uow,
        clock,
        TemplateComposer(),
        mail_sender(settings),
        IcsWriter(),
        manage_url,
        settings.mail_from,
        settings.mail_retry_scale,
    )
    reserve = PublicReserve(
        reads, uow, single_statement, clock, metrics, checkouts, manage_tokens, sha256_hex
    )
    reserve.cards = card_payments
    use_cases = UseCases(
        authenticate=Authenticate(uow, clock, tokens, sha256_hex),
        accounts=Accounts(uow, clock, Argon2Passwords(), tokens, sha256_hex),
        api_keys=ApiKeyAdmin(uow, clock, sha256_hex),
        organisations=OrganisationAdmin(uow, clock),
        catalog=CatalogAdmin(uow, clock, guard, allow_http=not settings.production),
        connect=StripeConnect(uow, gateway),
        create_reservation=CreateReservation(uow, clock, metrics),
        reservations=ReservationQueries(uow),
        update_reservation=UpdateReservation(uow, clock),
        delete_reservation=DeleteReservation(uow, clock, checkouts),
        cancel_reservation=CancelReservation(uow, cashier, checkouts),
        refund_reservation=RefundReservation(uow, clock, cashier),
        ledger=ReservationLedger(uow),
        storefronts=Storefronts(uow),
        availability=PublicAvailability(reads, clock, ThreadedHeavyWork()),
        calendar=PublicCalendar(reads, clock, ThreadedHeavyWork()),
        quote=PublicQuote(reads, clock),
        reserve=reserve,
        checkout_status=CheckoutStatus(uow, clock, checkouts),
        retry_checkout=retry,
        self_service=self_service,
        handle_provider_event=HandleProviderEvent(uow, clock, gateway, cashier, metrics),
        jobs=BackgroundJobs(
            uow,
            clock,
            checkouts,
            idempotency,
            metrics,
            DispatchOutbox(uow, clock, [CountEvents(metrics), FanOutWebhooks(webhook_document), QueueMail()]),
            PurgeOutbox(uow, clock),
            DeliverWebhooks(uow, clock, sender, settings.webhook_retry_scale),
            PurgeDeliveries(uow, clock),
            send_mail=send_mail,
            remind=RemindCustomers(uow, clock),
            purge_mail=PurgeMail(uow, clock),
            import_calendars=ImportCalendars(uow, clock, calendar_source),
        ),
        webhooks=WebhookAdmin(uow, clock, guard, allow_http=not settings.production),
        find_booking=FindBooking(uow, clock),
        blocks=BlockAdmin(uow, clock),
        feeds=CalendarFeeds(uow, clock, feed_tokens, sha256_hex, IcsWriter()),
        booking_calendar=booking_calendar,
        customer_bookings=CustomerBookings(
            uow, clock, self_service, booking_calendar, retry, status_of, card_payments
        ),
        payment_links=PaymentLinks(uow, clock, gateway, terms, status_of),
        # Both gateways are card vaults (the sandbox one refuses, saying why).
        saved_cards=SavedCardAdmin(uow, cast(CardVault, gateway), settings.stripe_publishable_key),
    )
    return Runtime(
        settings,
        engine,
        read_engine,
        use_cases,
        gateway,
        tokens,
        uow,
        idempotency,
        head_revision(),
        closing=[sender.close, calendar_source.close],
    )


def mail_sender(settings: Settings) -> MailSender:
    """SMTP when SMTP_URL is set; otherwise (development only: production refuses) .eml files in a folder."""
    if settings.smtp_url:
        return SmtpSender(settings.smtp_url)
    return FolderSender(Path(settings.mail_folder))


def webhook_document(reservation: Reservation) -> dict[str, Any]:
    """A webhook's `data.reservation`: the staff reservation resource, as its JSON values."""
    document: dict[str, Any] = msgspec.to_builtins(present.reservation(reservation))
    return document
