"""The schema as SQLAlchemy Core tables; Alembic migrations create it, these only query it."""

from __future__ import annotations

from advanced_alchemy.base import convention
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

metadata = MetaData(naming_convention=convention)

RESERVATION_STATUSES = (
    "pending",
    "pending_payment",
    "confirmed",
    "waitlist",
    "cancelled",
    "expired",
    "completed",
    "no_show",
)
BOOKING_UNITS = ("slot", "night", "day")
PAYMENT_STATUSES = (
    "not_required",
    "pending",
    "processing",
    "succeeded",
    "failed",
    "expired",
    "refunded",
    "partially_refunded",
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _id() -> Column[int]:
    return Column("id", BigInteger, Identity(always=False), primary_key=True)


def _created() -> Column[object]:
    return Column("created_at", DateTimeUTC(timezone=True), nullable=False, server_default=func.now())


def _updated() -> Column[object]:
    return Column("updated_at", DateTimeUTC(timezone=True), nullable=False, server_default=func.now())


users = Table(
    "users",
    metadata,
    _id(),
    Column("email", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("active_organisation_id", BigInteger, nullable=True),
    _created(),
    _updated(),
    Index("uq_users_email_lower", text("lower(email)"), unique=True),
    ForeignKeyConstraint(["active_organisation_id"], ["organisations.id"], ondelete="SET NULL"),
    Column("stripe_customer_id", Text, nullable=True, unique=True),  # the user as a Stripe Customer
)

organisations = Table(
    "organisations",
    metadata,
    _id(),
    Column("slug", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("timezone", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("service_fee_bps", Integer, nullable=False, server_default="0"),
    Column("tax_bps", Integer, nullable=False, server_default="0"),
    Column("commission_bps", Integer, nullable=True),
    Column("cancellation_policy", JSONB, nullable=False),
    Column("public_booking_enabled", Boolean, nullable=False, server_default="true"),
    Column("stripe_account_id", Text, nullable=True, unique=True),
    Column("charges_enabled", Boolean, nullable=False, server_default="false"),
    Column("payouts_enabled", Boolean, nullable=False, server_default="false"),
    Column("details_submitted", Boolean, nullable=False, server_default="false"),
    _created(),
    _updated(),
    Column("reschedule_min_hours_before", Integer, nullable=False, server_default="24"),
    CheckConstraint("service_fee_bps BETWEEN 0 AND 10000", name="service_fee_bps"),
    Column("locale", Text, nullable=False, server_default="en"),
    Column("notification_email", Text, nullable=True),
    Column("description", Text, nullable=True),
    Column("brand_color", Text, nullable=True),
    Column("feed_nonce", Text, nullable=True),
    Column("feed_token_hash", Text, nullable=True, unique=True),
    CheckConstraint("reschedule_min_hours_before BETWEEN 0 AND 8760", name="reschedule_min_hours_before"),
    CheckConstraint("locale IN ('en', 'de')", name="locale"),
    CheckConstraint("tax_bps BETWEEN 0 AND 10000", name="tax_bps"),
    CheckConstraint("commission_bps BETWEEN 0 AND 10000", name="commission_bps"),
)

memberships = Table(
    "memberships",
    metadata,
    Column("organisation_id", BigInteger, primary_key=True),
    Column("user_id", BigInteger, primary_key=True),
    Column("role", Text, nullable=False),
    _created(),
    ForeignKeyConstraint(["organisation_id"], ["organisations.id"], ondelete="CASCADE"),
    ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
    CheckConstraint("role IN ('owner', 'admin', 'staff', 'viewer')", name="role"),
    Index("ix_memberships_user_id", "user_id"),
)

api_keys = Table(
    "api_keys",
    metadata,
    _id(),
    Column("organisation_id", BigInteger, nullable=False),
    Column("created_by_user_id", BigInteger, nullable=False),
    Column("name", Text, nullable=False),
    Column("prefix", Text, nullable=False),
    Column("key_hash", Text, nullable=False),
    Column("scopes", ARRAY(Text), nullable=False),
    Column("expires_at", DateTimeUTC(timezone=True), nullable=True),
    Column("revoked_at", DateTimeUTC(timezone=True), nullable=True),
    Column("last_used_at", DateTimeUTC(timezone=True), nullable=True),
    _created(),
    ForeignKeyConstraint(["organisation_id"], ["organisations.id"], ondelete="CASCADE"),
    ForeignKeyConstraint(["created_by_user_id"], ["users.id"], ondelete="CASCADE"),
    UniqueConstraint("organisation_id", "prefix", name="uq_api_keys_organisation_id_prefix"),
    # A hash of 256 random bits: unique across the platform by construction, the index serves lookup.
    Index("uq_api_keys_key_hash", "key_hash", unique=True),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    _id(),
    Column("user_id", BigInteger, nullable=False),
    Column("family_id", Text, nullable=False),
    Column("token_hash", Text, nullable=False, unique=True),
    Column("expires_at", DateTimeUTC(timezone=True), nullable=False),
    Column("used_at", DateTimeUTC(timezone=True), nullable=True),
    Column("revoked_at", DateTimeUTC(timezone=True), nullable=True),
    _created(),
    ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
    Index("ix_refresh_tokens_family_id", "family_id"),
)

resource_types = Table(
    "resource_types",
    metadata,
    _id(),
    Column("organisation_id", BigInteger, nullable=False),
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=True),
    Column("slot_minutes", Integer, nullable=False),
    Column("slot_interval_minutes", Integer, nullable=True),
    Column("max_slots_per_booking", Integer, nullable=False, server_default="1"),
    Column("buffer_before_minutes", Integer, nullable=False, server_default="0"),
    Column("buffer_after_minutes", Integer, nullable=False, server_default="0"),
    Column("min_notice_minutes", Integer, nullable=False, server_default="0"),
    Column("max_advance_days", Integer, nullable=False, server_default="365"),
    Column("max_quantity", Integer, nullable=True),
    Column("price_amount", BigInteger, nullable=False, server_default="0"),
    Column("price_currency", Text, nullable=False),
    Column("payment_required", Boolean, nullable=False, server_default="false"),
    Column("requires_approval", Boolean, nullable=False, server_default="false"),
    Column("publicly_bookable", Boolean, nullable=False, server_default="true"),
    Column("weekly_hours", JSONB, nullable=False),
    Column("date_overrides", JSONB, nullable=False),
    _created(),
    _updated(),
    Column("deleted_at", DateTimeUTC(timezone=True), nullable=True),
    Column("booking_unit", Text, nullable=False, server_default="slot"),
    Column("check_in_time", Text, nullable=False, server_default="15:00"),
    Column("check_out_time", Text, nullable=False, server_default="11:00"),
    Column("min_stay", Integer, nullable=False, server_default="1"),
    Column("max_stay", Integer, nullable=False, server_default="30"),
    Column("max_guests", Integer, nullable=True),
    ForeignKeyConstraint(["organisation_id"], ["organisations.id"], ondelete="CASCADE"),
    UniqueConstraint("organisation_id", "id", name="uq_resource_types_organisation_id_id"),
    CheckConstraint("slot_minutes > 0", name="slot_minutes"),
    CheckConstraint("price_amount >= 0", name="price_amount"),
    CheckConstraint(_in("booking_unit", BOOKING_UNITS), name="booking_unit"),
    CheckConstraint("min_stay >= 1 AND max_stay >= min_stay", name="stay_length"),
)

resources = Table(
    "resources",
    metadata,
    _id(),
    Column("organisation_id", BigInteger, nullable=False),
    Column("resource_type_id", BigInteger, nullable=False),
    Column("name", Text, nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("is_active", Boolean, nullable=False, server_default="true"),
    Column("public_booking_token", Text, nullable=False),
    _created(),
    _updated(),
    Column("deleted_at", DateTimeUTC(timezone=True), nullable=True),
    Column("feed_nonce", Text, nullable=True),
    Column("feed_token_hash", Text, nullable=True, unique=True),
    Column("ical_import_url", Text, nullable=True),
    Column("ical_last_import_at", DateTimeUTC(timezone=True), nullable=True),
    Column("ical_last_import_error", Text, nullable=True),
    Column("ical_etag", Text, nullable=True),
    Column("ical_last_modified", Text, nullable=True),
    Column("ical_next_import_at", DateTimeUTC(timezone=True), nullable=True),
    ForeignKeyConstraint(
        ["organisation_id", "resource_type_id"], ["resource_types.organisation_id", "resource_types.id"]
    ),
    UniqueConstraint("organisation_id", "id", name="uq_resources_organisation_id_id"),
    # 128+ random bits: unique across the platform by construction, the index serves lookup.
    Index("uq_resources_public_booking_token", "public_booking_token", unique=True),
    Index("ix_resources_resource_type_id", "resource_type_id"),
    CheckConstraint("capacity >= 1", name="capacity"),
)

reservations = Table(
    "reservations",
    metadata,
    _id(),
    Column("organisation_id", BigInteger, nullable=False),
    Column("resource_type_id", BigInteger, nullable=False),
    Column("reference", Text, nullable=False),
    Column("start_time", DateTimeUTC(timezone=True), nullable=False),
    Column("end_time", DateTimeUTC(timezone=True), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("payment_status", Text, nullable=False),
    Column("requires_payment", Boolean, nullable=False),
    Column("customer_name", Text, nullable=True),
    Column("customer_email", Text, nullable=True),
    Column("customer_phone", Text, nullable=True),
    Column("notes", Text, nullable=True),
    Column("source", Text, nullable=False),
    Column("quote_unit_amount", BigInteger, nullable=False),
    Column("quote_units", Integer, nullable=False),
    Column("quote_subtotal", BigInteger, nullable=False),
    Column("quote_service_fee", BigInteger, nullable=False),
    Column("quote_taxes", BigInteger, nullable=False),
    Column("quote_total", BigInteger, nullable=False),
    Column("quote_currency", Text, nullable=False),
    Column("payment_required_snapshot", Boolean, nullable=False, server_default="false"),
    Column("cancellation_policy_snapshot", JSONB, nullable=False),
    Column("allocation_mode", Text, nullable=False),
    Column("hold_expires_at", DateTimeUTC(timezone=True), nullable=True),
    Column("stripe_checkout_session_id", Text, nullable=True),
    Column("checkout_attempt", Integer, nullable=False, server_default="0"),
    Column("checkout_claimed_until", DateTimeUTC(timezone=True), nullable=True),
    Column("approval_required", Boolean, nullable=False, server_default="false"),
    Column("last_reconciled_at", DateTimeUTC(timezone=True), nullable=True),
    Column("manage_token_hash", Text, nullable=True),
    Column("manage_token_nonce", Text, nullable=True),
    Column("checkout_started_at", DateTimeUTC(timezone=True), nullable=True),
    Column("created_by_user_id", BigInteger, nullable=True),
    Column("api_key_id", BigInteger, nullable=True),
    Column("version", Integer, nullable=False, server_default="1"),
    _created(),
    _updated(),
    Column("confirmed_at", DateTimeUTC(timezone=True), nullable=True),
    Column("cancelled_at", DateTimeUTC(timezone=True), nullable=True),
    Column("cancel_reason", Text, nullable=True),
    Column("deleted_at", DateTimeUTC(timezone=True), nullable=True),
    Column("booking_unit", Text, nullable=False, server_default="slot"),
    Column("stay_start_date", Date, nullable=True),  # the check-in date, or the first day
    Column("stay_end_date", Date, nullable=True),  # the check-out date, or the day after the last
    Column("adults", SmallInteger, nullable=True),
    Column("children", SmallInteger, nullable=True),
    Column("reminded_for", DateTimeUTC(timezone=True), nullable=True),  # the start its reminder was sent for
    Column("customer_user_id", BigInteger, nullable=True),
    Column("dispute_status", Text, nullable=False, server_default="none"),
    Column("stripe_payment_intent_id", Text, nullable=True),
    Index("ix_reservations_stripe_payment_intent_id", "stripe_payment_intent_id"),
    ForeignKeyConstraint(["customer_user_id"], ["users.id"], ondelete="SET NULL"),
    CheckConstraint("dispute_status IN ('none', 'open', 'won', 'lost')", name="dispute_status"),
    Index("ix_reservations_customer_user_id_start_time", "customer_user_id", "start_time"),
    ForeignKeyConstraint(
        ["organisation_id", "resource_type_id"], ["resource_types.organisation_id", "resource_types.id"]
    ),
    ForeignKeyConstraint(["created_by_user_id"], ["users.id"], ondelete="SET NULL"),
    ForeignKeyConstraint(["api_key_id"], ["api_keys.id"], ondelete="SET NULL"),
    UniqueConstraint("organisation_id", "id", name="uq_reservations_organisation_id_id"),
    UniqueConstraint("reference", name="uq_reservations_reference"),
    Index("ix_reservations_organisation_id_customer_email", "organisation_id", text("lower(customer_email)")),
    Index("uq_reservations_manage_token_hash", "manage_token_hash", unique=True),
    Index("ix_reservations_organisation_id_start_time", "organisation_id", "start_time"),
    Index("ix_reservations_stripe_checkout_session_id", "stripe_checkout_session_id"),
    Index(
        "ix_reservations_pending_payment_hold",
        "hold_expires_at",
        postgresql_where=text("status = 'pending_payment'"),
    ),
    Index(
        "ix_reservations_pending_payment_checkout",
        "checkout_started_at",
        postgresql_where=text("status = 'pending_payment'"),
    ),
    # What reconciliation asks the provider about: holds awaiting a payment, lapsed or cancelled ones.
    Index(
        "ix_reservations_awaiting_provider",
        "checkout_started_at",
        postgresql_where=text(
            "requires_payment AND stripe_checkout_session_id IS NOT NULL"
            " AND status IN ('pending_payment', 'expired', 'cancelled')"
            " AND payment_status IN ('pending', 'processing', 'failed', 'expired')"
        ),
    ),
    Index("ix_reservations_confirmed_end_time", "end_time", postgresql_where=text("status = 'confirmed'")),
    CheckConstraint("end_time > start_time", name="time_order"),
    CheckConstraint("quantity >= 1", name="quantity"),
    CheckConstraint(_in("status", RESERVATION_STATUSES), name="status"),
    CheckConstraint(_in("payment_status", PAYMENT_STATUSES), name="payment_status"),
    CheckConstraint("quote_total = quote_subtotal + quote_service_fee + quote_taxes", name="quote_total"),
    CheckConstraint(_in("booking_unit", BOOKING_UNITS), name="booking_unit"),
    CheckConstraint(
        "(booking_unit = 'slot' AND stay_start_date IS NULL AND stay_end_date IS NULL)"
        " OR (booking_unit <> 'slot' AND stay_end_date > stay_start_date)",
        name="stay_dates",
    ),
    CheckConstraint("(adults IS NULL OR adults >= 1) AND (children IS NULL OR children >= 0)", name="guests"),
)

# Every Checkout Session a reservation has had: an older session id still leads to its reservation.
checkout_sessions = Table(
    "checkout_sessions",
    metadata,
    Column("session_id", Text, primary_key=True),
    Column("organisation_id", BigInteger, nullable=False),
    Column("reservation_id", BigInteger, nullable=False),
    _created(),
    ForeignKeyConstraint(
        ["organisation_id", "reservation_id"],
        ["reservations.organisation_id", "reservations.id"],
        name="fk_checkout_sessions_reservation",
        ondelete="CASCADE",
    ),
    Index("ix_checkout_sessions_reservation_id", "reservation_id"),
)

reservation_allocations = Table(
    "reservation_allocations",
    metadata,
    _id(),
    Column("organisation_id", BigInteger, nullable=False),
    Column("reservation_id", BigInteger, nullable=True),  # or a block's
    Column("resource_id", BigInteger, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("occupied_from", DateTimeUTC(timezone=True), nullable=False),
    Column("occupied_until", DateTimeUTC(timezone=True), nullable=False),
    # Derived by triggers from the reservation and the resource; never trusted from the writer.
    Column("holding", Boolean, nullable=False, server_default="false"),
    Column("hold_expires_at", DateTimeUTC(timezone=True), nullable=True),
    Column("exclusive", Boolean, nullable=False, server_default="false"),
    ForeignKeyConstraint(
        ["organisation_id", "reservation_id"],
        ["reservations.organisation_id", "reservations.id"],
        ondelete="CASCADE",
    ),
    ForeignKeyConstraint(["organisation_id", "resource_id"], ["resources.organisation_id", "resources.id"]),
    UniqueConstraint(
        "organisation_id", "reservation_id", "resource_id", name="uq_reservation_allocations_resource"
    ),
    CheckConstraint("quantity >= 1", name="quantity"),
    CheckConstraint("occupied_until > occupied_from", name="time_order"),
    Column("block_id", BigInteger, nullable=True),
    ForeignKeyConstraint(["block_id"], ["resource_blocks.id"], ondelete="CASCADE"),
    CheckConstraint("num_nonnulls(reservation_id, block_id) = 1", name="one_owner"),
    Index("ix_reservation_allocations_block_id", "block_id", postgresql_where=text("block_id IS NOT NULL")),
)

payments = Table(
    "payments",
    metadata,
    _id(),
    Column("organisation_id", BigInteger, nullable=False),
    Column("reservation_id", BigInteger, nullable=False),
    Column("provider", Text, nullable=False),
    Column("checkout_session_id", Text, nullable=True),
    Column("payment_intent_id", Text, nullable=True),
    Column("charge_id", Text, nullable=True),
    Column("kind", Text, nullable=False, server_default="booking"),
    Column("amount", BigInteger, nullable=False),
    Column("currency", Text, nullable=False),
    Column("status", Text, nullable=False),
    _created(),
    _updated(),
    CheckConstraint("kind IN ('booking', 'extra')", name="kind"),
    CheckConstraint(
        "status IN ('processing', 'succeeded', 'failed', 'partially_refunded', 'refunded')", name="status"
    ),
    ForeignKeyConstraint(
        ["organisation_id", "reservation_id"], ["reservations.organisation_id", "reservations.id"]
    ),
    UniqueConstraint(
        "organisation_id", "payment_intent_id", name="uq_payments_organisation_id_payment_intent_id"
    ),
    Index("ix_payments_reservation_id", "reservation_id"),
    Index("ix_payments_payment_intent_id", "payment_intent_id"),
    CheckConstraint("amount >= 0", name="amount"),
)

refunds = Table(
    "refunds",
    metadata,
    _id(),
    Column("organisation_id", BigInteger, nullable=False),
    Column("reservation_id", BigInteger, nullable=False),
    Column("payment_id", BigInteger, nullable=False),
    Column("stripe_refund_id", Text, nullable=True),
    Column("amount", BigInteger, nullable=False),
    Column("currency", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("reason", Text, nullable=True),
    _created(),
    ForeignKeyConstraint(
        ["organisation_id", "reservation_id"], ["reservations.organisation_id", "reservations.id"]
    ),
    ForeignKeyConstraint(["payment_id"], ["payments.id"]),
    UniqueConstraint(
        "organisation_id", "stripe_refund_id", name="uq_refunds_organisation_id_stripe_refund_id"
    ),
    Index("ix_refunds_reservation_id", "reservation_id"),
    CheckConstraint("amount > 0", name="amount"),
)

processed_webhook_events = Table(
    "processed_webhook_events",
    metadata,
    Column("event_id", Text, primary_key=True),
    Column("type", Text, nullable=False),
    Column("processed_at", DateTimeUTC(timezone=True), nullable=False, server_default=func.now()),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    _id(),
    Column("organisation_id", BigInteger, nullable=False),
    Column("scope", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("request_hash", Text, nullable=False),
    Column("response_status", SmallInteger, nullable=True),
    Column("response_body", LargeBinary, nullable=True),
    Column("response_headers", JSONB, nullable=True),
    Column("locked_until", DateTimeUTC(timezone=True), nullable=True),
    _created(),
    ForeignKeyConstraint(["organisation_id"], ["organisations.id"], ondelete="CASCADE"),
    UniqueConstraint("organisation_id", "scope", "key", name="uq_idempotency_keys_scope_key"),
    Index("ix_idempotency_keys_created_at", "created_at"),
)

sandbox_checkout_sessions = Table(
    "sandbox_checkout_sessions",
    metadata,
    Column("id", Text, primary_key=True),
    Column("organisation_id", BigInteger, nullable=False),
    Column("reservation_id", BigInteger, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("payment_status", Text, nullable=False),
    Column("payment_intent_id", Text, nullable=True),
    Column("success_url", Text, nullable=False),
    Column("cancel_url", Text, nullable=False),
    Column("expires_at", DateTimeUTC(timezone=True), nullable=False),
    Column("metadata", JSONB, nullable=False),
    _created(),
    ForeignKeyConstraint(["organisation_id"], ["organisations.id"], ondelete="CASCADE"),
    Index("ix_sandbox_checkout_sessions_reservation_id", "reservation_id"),
)

# The sandbox provider's PaymentIntents (saved cards without Stripe, for development).
sandbox_payment_intents = Table(
    "sandbox_payment_intents",
    metadata,
    Column("id", Text, primary_key=True),
    Column("organisation_id", BigInteger, nullable=False),
    Column("reservation_id", BigInteger, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("payment_method_id", Text, nullable=False),
    Column("return_url", Text, nullable=False),
    Column("metadata", JSONB, nullable=False),
    Column("idempotency_key", Text, nullable=False, unique=True),
    _created(),
    ForeignKeyConstraint(["organisation_id"], ["organisations.id"], ondelete="CASCADE"),
)

# Domain events, written in the transaction of the change that caused them (a transactional outbox).
outbox = Table(
    "outbox",
    metadata,
    _id(),
    Column("organisation_id", BigInteger, nullable=False),
    Column("reservation_id", BigInteger, nullable=False),
    Column("type", Text, nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("occurred_at", DateTimeUTC(timezone=True), nullable=False),
    _created(),
    Column("dispatched_at", DateTimeUTC(timezone=True), nullable=True),
    Column("retry_at", DateTimeUTC(timezone=True), nullable=True),  # a consumer failed: not before then
    Index("ix_outbox_undispatched", "id", postgresql_where=text("dispatched_at IS NULL")),
    Index("ix_outbox_dispatched_at", "dispatched_at", postgresql_where=text("dispatched_at IS NOT NULL")),
)

# What each consumer did with each event: done once, or the attempts and the last error.
outbox_consumptions = Table(
    "outbox_consumptions",
    metadata,
    Column("outbox_id", BigInteger, ForeignKey("outbox.id", ondelete="CASCADE"), primary_key=True),
    Column("consumer", Text, primary_key=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("done_at", DateTimeUTC(timezone=True), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("next_attempt_at", DateTimeUTC(timezone=True), nullable=True),
)

# Where an organisation's systems are told of events; the signing secrets sealed (security.SecretBox).
webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    _id(),
    Column("organisation_id", BigInteger, nullable=False),
    Column("url", Text, nullable=False),
    Column("events", ARRAY(Text), nullable=False),
    Column("description", Text, nullable=True),
    Column("enabled", Boolean, nullable=False, server_default="true"),
    Column("secret_sealed", LargeBinary, nullable=False),
    Column("previous_secret_sealed", LargeBinary, nullable=True),
    Column("previous_secret_until", DateTimeUTC(timezone=True), nullable=True),
    Column("failing_since", DateTimeUTC(timezone=True), nullable=True),
    _created(),
    _updated(),
    ForeignKeyConstraint(["organisation_id"], ["organisations.id"], ondelete="CASCADE"),
    UniqueConstraint("organisation_id", "id", name="uq_webhook_endpoints_organisation_id_id"),
)

# One event on its way to one endpoint: the body signed at each attempt, how the last attempt went.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    _id(),
    Column("organisation_id", BigInteger, nullable=False),
    Column("endpoint_id", BigInteger, nullable=False),
    Column("event_id", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("attempt", Integer, nullable=False, server_default="0"),
    Column("status", Text, nullable=False, server_default="pending"),
    Column("response_status", SmallInteger, nullable=True),
    Column("error", Text, nullable=True),
    Column("duration_ms", Integer, nullable=True),
    Column("next_attempt_at", DateTimeUTC(timezone=True), nullable=True),
    Column("claimed_until", DateTimeUTC(timezone=True), nullable=True),
    _created(),
    _updated(),
    ForeignKeyConstraint(
        ["organisation_id", "endpoint_id"],
        ["webhook_endpoints.organisation_id", "webhook_endpoints.id"],
        ondelete="CASCADE",
    ),
    CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name="status"),
    Index("ix_webhook_deliveries_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
    Index("ix_webhook_deliveries_endpoint_id", "endpoint_id", "id"),
    Index("ix_webhook_deliveries_updated_at", "updated_at", postgresql_where=text("status <> 'pending'")),
)

outgoing_mail = Table(
    "outgoing_mail",
    metadata,
    _id(),
    Column("organisation_id", BigInteger, nullable=False),
    Column("reservation_id", BigInteger, nullable=True),
    Column("event_key", Text, nullable=False),  # the outbox event, reminder or request it answers
    Column("kind", Text, nullable=False),
    Column("recipient", Text, nullable=False),
    Column("payload", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("status", Text, nullable=False, server_default="pending"),
    Column("attempt", Integer, nullable=False, server_default="0"),
    Column("error", Text, nullable=True),
    Column("next_attempt_at", DateTimeUTC(timezone=True), nullable=True),
    Column("claimed_until", DateTimeUTC(timezone=True), nullable=True),
    Column("sent_at", DateTimeUTC(timezone=True), nullable=True),
    _created(),
    _updated(),
    ForeignKeyConstraint(["organisation_id"], ["organisations.id"], ondelete="CASCADE"),
    UniqueConstraint("event_key", "kind", "recipient", name="uq_outgoing_mail_event_key"),
    CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status"),
    Index("ix_outgoing_mail_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
    Index("ix_outgoing_mail_updated_at", "updated_at", postgresql_where=text("status <> 'pending'")),
)

resource_blocks = Table(
    "resource_blocks",
    metadata,
    _id(),
    Column("organisation_id", BigInteger, nullable=False),
    Column("resource_id", BigInteger, nullable=False),
    Column("start_time", DateTimeUTC(timezone=True), nullable=False),
    Column("end_time", DateTimeUTC(timezone=True), nullable=False),
    Column("reason", Text, nullable=True),
    Column("source", Text, nullable=False, server_default="manual"),
    Column("import_uid", Text, nullable=True),  # the imported event (and occurrence) it stands for
    _created(),
    ForeignKeyConstraint(
        ["organisation_id", "resource_id"], ["resources.organisation_id", "resources.id"], ondelete="CASCADE"
    ),
    CheckConstraint("end_time > start_time", name="time_order"),
    CheckConstraint("source IN ('manual', 'import')", name="source"),
    Index("ix_resource_blocks_resource_id", "resource_id", "start_time"),
)

saved_cards = Table(
    "saved_cards",
    metadata,
    _id(),
    Column("user_id", BigInteger, nullable=False),
    Column("stripe_payment_method_id", Text, nullable=False, unique=True),
    Column("brand", Text, nullable=False),
    Column("last4", Text, nullable=False),
    Column("exp_month", SmallInteger, nullable=False),
    Column("exp_year", SmallInteger, nullable=False),
    _created(),
    ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
    Index("ix_saved_cards_user_id", "user_id"),
)
