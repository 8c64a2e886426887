"""The ports: what the use cases need from the outside world, as Protocols."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Protocol, Self, TypeVar

from application.calendar_ports import Blocks, Feeds, Imports
from application.card_ports import SavedCards
from application.mail_ports import MailQueue, Reminders
from application.payment_ports import Payments
from domain.access import Role
from domain.allocation import Occupancy
from domain.catalog import Organisation, Resource, ResourceType, StripeAccount
from domain.identity import ApiKey, RefreshToken, User
from domain.reservation import Reservation

if TYPE_CHECKING:  # they use Page and PageRequest from here
    from application.webhook_ports import WebhookDeliveries, WebhookEndpoints

T = TypeVar("T")


MAX_OFFSET = 10_000  # deeper pages would cost a scan each; a filter finds old rows instead


@dataclass(frozen=True)
class PageRequest:
    page: int = 1
    limit: int = 20

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    request: PageRequest


@dataclass(frozen=True)
class MembershipView:
    organisation_id: int
    slug: str
    name: str
    role: Role


@dataclass(frozen=True)
class MemberView:
    user_id: int
    email: str
    name: str
    role: Role
    joined_at: datetime | None = None


@dataclass(frozen=True)
class ReservationFilter:
    resource_id: int | None = None
    resource_type_id: int | None = None
    statuses: tuple[str, ...] = ()
    start_from: datetime | None = None
    end_to: datetime | None = None
    reference: str | None = None
    customer_email: str | None = None  # matched case-insensitively


@dataclass(frozen=True)
class Usage:
    occupancies: list[Occupancy]  # what takes capacity now
    lapsed: list[int] = field(default_factory=list)  # reservations whose payment hold lapsed: still flagged


class Clock(Protocol):
    def now(self) -> datetime: ...


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...
    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Check a password; with no hash, spend the same effort and answer False."""
        ...


class TokenIssuer(Protocol):
    def issue(self, user_id: int, now: datetime) -> tuple[str, int]:
        """An access token and its lifetime in seconds."""
        ...

    def subject(self, token: str, now: datetime) -> int:
        """The user id of a valid token; Unauthorized otherwise."""
        ...


class SecretHasher(Protocol):
    """One-way hash for high-entropy secrets (API keys, refresh and manage tokens)."""

    def __call__(self, secret: str) -> str: ...


class Users(Protocol):
    async def add(self, email: str, name: str, password_hash: str) -> User: ...
    async def by_email(self, email: str) -> User | None: ...
    async def by_id(self, user_id: int) -> User | None: ...
    async def set_active_organisation(self, user_id: int, organisation_id: int | None) -> None: ...


class Memberships(Protocol):
    async def of_user(self, user_id: int) -> list[MembershipView]: ...
    async def role(self, organisation_id: int, user_id: int) -> Role | None: ...
    async def members(self, organisation_id: int, page: PageRequest) -> Page[MemberView]: ...
    async def member(self, organisation_id: int, user_id: int) -> MemberView | None: ...
    async def add(self, organisation_id: int, user_id: int, role: Role) -> None: ...
    async def set_role(self, organisation_id: int, user_id: int, role: Role) -> None: ...
    async def remove(self, organisation_id: int, user_id: int) -> None: ...
    async def owner_count(self, organisation_id: int) -> int: ...


class ApiKeys(Protocol):
    async def add(
        self,
        organisation_id: int,
        created_by: int,
        name: str,
        prefix: str,
        key_hash: str,
        scopes: tuple[str, ...],
        expires_at: datetime | None,
    ) -> ApiKey: ...
    async def by_hash(self, key_hash: str) -> ApiKey | None: ...
    async def page(self, organisation_id: int, page: PageRequest) -> Page[ApiKey]: ...
    async def revoke(self, organisation_id: int, key_id: int, now: datetime) -> bool: ...
    async def revoke_created_by(self, organisation_id: int, user_id: int, now: datetime) -> int:
        """Revoke every key a member made in the organisation (they leave it: their keys go too)."""
        ...

    async def touch(self, key_id: int, now: datetime) -> None: ...


class RefreshTokens(Protocol):
    async def add(self, user_id: int, family_id: str, token_hash: str, expires_at: datetime) -> None: ...
    async def by_hash(self, token_hash: str) -> RefreshToken | None: ...
    async def spend(self, token_id: int, now: datetime) -> bool:
        """Mark unused token used; False when it had been used already (a reuse)."""
        ...

    async def revoke_family(self, family_id: str, now: datetime) -> None: ...


class Organisations(Protocol):
    async def add(self, organisation: Organisation) -> Organisation: ...
    async def by_id(self, organisation_id: int) -> Organisation | None: ...
    async def by_slug(self, slug: str) -> Organisation | None: ...
    async def by_stripe_account(self, account_id: str) -> Organisation | None: ...
    async def of_user(self, user_id: int, page: PageRequest) -> Page[Organisation]: ...
    async def update(self, organisation: Organisation) -> Organisation: ...
    async def set_stripe(self, organisation_id: int, account: StripeAccount) -> None: ...
    async def set_commission(self, slug: str, bps: int | None) -> bool: ...


class ResourceTypes(Protocol):
    async def add(self, resource_type: ResourceType) -> ResourceType: ...
    async def get(self, organisation_id: int, type_id: int) -> ResourceType | None: ...
    async def page(self, organisation_id: int, page: PageRequest) -> Page[ResourceType]: ...
    async def all(self, organisation_id: int, listing: bool = False) -> list[ResourceType]:
        """The organisation's types; `listing` leaves their opening hours out (a catalog needs none)."""
        ...

    async def update(self, resource_type: ResourceType) -> ResourceType: ...
    async def delete(self, organisation_id: int, type_id: int, now: datetime) -> None: ...


class Resources(Protocol):
    async def add(self, resource: Resource) -> Resource: ...
    async def get(self, organisation_id: int, resource_id: int) -> Resource | None: ...
    async def page(
        self, organisation_id: int, page: PageRequest, resource_type_id: int | None = None
    ) -> Page[Resource]: ...
    async def of_types(self, organisation_id: int, type_ids: list[int]) -> list[Resource]: ...
    async def by_token(self, token: str) -> Resource | None: ...
    async def hold_capacity(self, organisation_id: int, resource_id: int) -> None:
        """Wait for the bookings in flight on the resource and hold new ones off until the transaction
        ends: taken before a capacity change, so every writer takes its locks in the same order."""
        ...

    async def update(self, resource: Resource, before: Resource) -> Resource:
        """Save what differs from `before`."""
        ...

    async def delete(self, organisation_id: int, resource_id: int, now: datetime) -> None: ...


class Reservations(Protocol):
    async def add(self, reservation: Reservation, manage_token_hash: str | None = None) -> Reservation: ...
    async def get(
        self, organisation_id: int, reservation_id: int, lock: bool = False, include_deleted: bool = False
    ) -> Reservation | None:
        """A reservation of the organisation; deleted ones only for money that may still concern them."""
        ...

    async def by_manage_token(self, token_hash: str, lock: bool = False) -> Reservation | None: ...
    async def set_intent(
        self, organisation_id: int, reservation_id: int, intent_id: str, now: datetime
    ) -> None:
        """The PaymentIntent now paying the reservation (its claim released)."""
        ...

    async def by_payment_intent(self, intent_id: str, lock: bool = False) -> Reservation | None: ...
    async def by_customer(self, user_id: int, reference: str, lock: bool = False) -> Reservation | None:
        """A booking the user made as a customer, by its reference; None for anyone else's."""
        ...

    async def of_customer(
        self, user_id: int, statuses: tuple[str, ...], upcoming: bool | None, now: datetime, page: PageRequest
    ) -> Page[Reservation]:
        """The user's own bookings across organisations, newest start first; `upcoming` True: not ended,
        False: ended, None: all."""
        ...

    async def by_checkout_session(
        self, session_id: str, lock: bool = False, include_deleted: bool = False
    ) -> Reservation | None:
        """The reservation of a Checkout Session: its current one or any earlier one."""
        ...

    async def claim_checkout(
        self, organisation_id: int, reservation_id: int, until: datetime, now: datetime
    ) -> bool:
        """Mark a checkout-retry in flight until `until` and count the attempt; False while another runs."""
        ...

    async def release_checkout(self, organisation_id: int, reservation_id: int) -> None: ...
    async def page(
        self, organisation_id: int, query: ReservationFilter, page: PageRequest
    ) -> Page[Reservation]: ...
    async def update(self, reservation: Reservation, reallocate: bool = False) -> Reservation:
        """Save changes, bumping the version; reallocate rewrites its allocations too."""
        ...

    async def delete(self, organisation_id: int, reservation_id: int, now: datetime) -> None: ...
    async def usage(
        self,
        resource_ids: list[int],
        start: datetime,
        end: datetime,
        now: datetime,
        exclude: int | None = None,
    ) -> Usage:
        """Holding allocations of the resources overlapping [start, end), lapsed holds apart."""
        ...

    async def locked(self, reservation_ids: list[int]) -> list[Reservation]:
        """These reservations, row-locked in id order for the rest of the transaction."""
        ...

    async def claim_reconcile(
        self, organisation_id: int, reservation_id: int, not_since: datetime, now: datetime
    ) -> bool:
        """Stamp the reservation as being reconciled now unless it was after `not_since`."""
        ...

    async def set_checkout(
        self, organisation_id: int, reservation_id: int, session_id: str, now: datetime
    ) -> None:
        """The reservation's current Checkout Session (remembered among its sessions); ends a retry claim."""
        ...

    async def lapsed_holds(self, now: datetime, limit: int) -> list[Reservation]:
        """Pending payments whose hold has ended, locked, skipping those another worker holds."""
        ...

    async def claim_pending_payments(
        self, started_before: datetime, not_since: datetime, now: datetime, limit: int
    ) -> list[tuple[int, int]]:
        """(organisation, reservation) of pending payments due for reconciliation, stamped as claimed."""
        ...

    async def ended(self, before: datetime, limit: int) -> list[Reservation]:
        """Confirmed reservations that ended before `before`, locked, skipping those another worker holds."""
        ...

    async def has_future_holding(
        self,
        organisation_id: int,
        now: datetime,
        resource_type_id: int | None = None,
        resource_id: int | None = None,
    ) -> bool: ...


@dataclass(frozen=True)
class OutboxEvent:
    """A recorded domain event as consumers receive it (API.md section 10's names)."""

    id: int
    organisation_id: int
    reservation_id: int
    type: str
    payload: dict[str, Any]
    occurred_at: datetime


@dataclass(frozen=True)
class Consumption:
    """What one consumer did with one event so far."""

    attempts: int
    done: bool


class Outbox(Protocol):
    async def claim(self, limit: int, now: datetime) -> list[OutboxEvent]:
        """The oldest undispatched events that are due, no other worker holding them; locked until the
        transaction ends."""
        ...

    async def consumptions(self, event_id: int) -> dict[str, Consumption]: ...
    async def record(self, event_id: int, consumer: str, now: datetime, error: str | None) -> None: ...
    async def settle(self, event_id: int, dispatched_at: datetime | None, retry_at: datetime | None) -> None:
        """Dispatched (every consumer done), or due again at `retry_at`."""
        ...

    async def purge(self, before: datetime, limit: int) -> int:
        """Drop events dispatched before `before`: the table does not grow with history."""
        ...

    async def undispatched(self) -> int: ...


class UnitOfWork(Protocol):
    users: Users
    memberships: Memberships
    api_keys: ApiKeys
    refresh_tokens: RefreshTokens
    organisations: Organisations
    resource_types: ResourceTypes
    resources: Resources
    reservations: Reservations
    payments: Payments
    outbox: Outbox
    webhook_endpoints: WebhookEndpoints
    webhook_deliveries: WebhookDeliveries
    outgoing_mail: MailQueue
    reminders: Reminders
    blocks: Blocks
    feeds: Feeds
    imports: Imports
    saved_cards: SavedCards

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    async def commit(self) -> None: ...
    def savepoint(self) -> AbstractAsyncContextManager[None]:
        """A nested transaction: an error inside undoes only what was done inside."""
        ...


UnitOfWorkFactory = Callable[[], UnitOfWork]


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming an idempotency key: run it, replay it, wait, or refuse a changed request."""

    state: str  # "new", "replay", "in_progress" or "mismatch"
    response: StoredResponse | None = None


class IdempotencyStore(Protocol):
    async def claim(
        self, organisation_id: int, scope: str, key: str, request_hash: str, lease_seconds: int
    ) -> Claim: ...
    async def complete(
        self, organisation_id: int, scope: str, key: str, response: StoredResponse
    ) -> None: ...
    async def release(self, organisation_id: int, scope: str, key: str) -> None: ...
    async def forget_before(self, before: datetime, limit: int) -> int:
        """Drop keys older than `before` (past their 24 hours they answer nothing any more)."""
        ...


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_after: int  # seconds until the window frees a request


class RateLimiter(Protocol):
    async def hit(self, name: str, client: str) -> RateDecision:
        """Count one request of `client` against the limit `name`."""
        ...


class HeavyWork(Protocol):
    """Where CPU-bound work too big for the event loop runs, so that other requests keep being answered."""

    async def run(self, work: Callable[[], T]) -> T: ...


class Metrics(Protocol):
    """Counters an operator watches; the adapter decides how they are exposed."""

    def reservation(self, source: str, outcome: str) -> None: ...
    def webhook_event(self, event_type: str, outcome: str) -> None: ...
    def rate_limited(self, limit: str) -> None: ...
    def holds_expired(self, count: int) -> None: ...
    def outbox_event(self, event_type: str) -> None: ...
    def payments_reconciled(self, count: int) -> None: ...
