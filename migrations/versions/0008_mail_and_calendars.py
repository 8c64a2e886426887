"""mail and calendars: organisations' locale, notification address and page branding; calendar feed tokens;
iCalendar imports on resources; the reminder mark on reservations; the outgoing mail queue

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TIMESTAMPTZ = sa.DateTime(timezone=True)


def _feed(table: str) -> None:
    op.add_column(table, sa.Column("feed_nonce", sa.Text(), nullable=True))
    op.add_column(table, sa.Column("feed_token_hash", sa.Text(), nullable=True))
    op.create_unique_constraint(op.f(f"uq_{table}_feed_token_hash"), table, ["feed_token_hash"])


def upgrade() -> None:
    op.add_column("organisations", sa.Column("locale", sa.Text(), server_default="en", nullable=False))
    op.add_column("organisations", sa.Column("notification_email", sa.Text(), nullable=True))
    op.add_column("organisations", sa.Column("description", sa.Text(), nullable=True))
    op.add_column("organisations", sa.Column("brand_color", sa.Text(), nullable=True))
    op.create_check_constraint("ck_organisations_locale", "organisations", "locale IN ('en', 'de')")
    _feed("organisations")
    _feed("resources")
    op.add_column("resources", sa.Column("ical_import_url", sa.Text(), nullable=True))
    op.add_column("resources", sa.Column("ical_last_import_at", TIMESTAMPTZ, nullable=True))
    op.add_column("resources", sa.Column("ical_last_import_error", sa.Text(), nullable=True))
    op.add_column("resources", sa.Column("ical_etag", sa.Text(), nullable=True))
    op.add_column("resources", sa.Column("ical_last_modified", sa.Text(), nullable=True))
    op.add_column("resources", sa.Column("ical_next_import_at", TIMESTAMPTZ, nullable=True))
    op.add_column("reservations", sa.Column("reminded_for", TIMESTAMPTZ, nullable=True))
    op.create_table(
        "outgoing_mail",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("organisation_id", sa.BigInteger(), nullable=False),
        sa.Column("reservation_id", sa.BigInteger(), nullable=True),
        sa.Column("event_key", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("payload", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("attempt", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", TIMESTAMPTZ, nullable=True),
        sa.Column("claimed_until", TIMESTAMPTZ, nullable=True),
        sa.Column("sent_at", TIMESTAMPTZ, nullable=True),
        sa.Column("created_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outgoing_mail")),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_outgoing_mail_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        # One message per event, kind and recipient: a replayed event sends nothing twice.
        sa.UniqueConstraint("event_key", "kind", "recipient", name="uq_outgoing_mail_event_key"),
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name=op.f("ck_outgoing_mail_status")),
    )
    op.create_index(
        "ix_outgoing_mail_due",
        "outgoing_mail",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_outgoing_mail_updated_at",
        "outgoing_mail",
        ["updated_at"],
        postgresql_where=sa.text("status <> 'pending'"),
    )


def downgrade() -> None:
    op.drop_table("outgoing_mail")
    op.drop_column("reservations", "reminded_for")
    for column in (
        "ical_next_import_at",
        "ical_last_modified",
        "ical_etag",
        "ical_last_import_error",
        "ical_last_import_at",
        "ical_import_url",
        "feed_token_hash",
        "feed_nonce",
    ):
        op.drop_column("resources", column)
    for column in (
        "feed_token_hash",
        "feed_nonce",
        "brand_color",
        "description",
        "notification_email",
        "locale",
    ):
        op.drop_column("organisations", column)
