"""outbox: every domain event, written in the transaction of its change, and what each consumer did with it

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TIMESTAMPTZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("organisation_id", sa.BigInteger(), nullable=False),
        sa.Column("reservation_id", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("occurred_at", TIMESTAMPTZ, nullable=False),
        sa.Column("created_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.Column("dispatched_at", TIMESTAMPTZ, nullable=True),
        sa.Column("retry_at", TIMESTAMPTZ, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    # The worker's claim reads the undispatched rows in order; dispatched ones are only purged.
    op.create_index(
        "ix_outbox_undispatched", "outbox", ["id"], postgresql_where=sa.text("dispatched_at IS NULL")
    )
    # For the purge; partial, so that writing a new (undispatched) event does not touch it.
    op.create_index(
        "ix_outbox_dispatched_at",
        "outbox",
        ["dispatched_at"],
        postgresql_where=sa.text("dispatched_at IS NOT NULL"),
    )
    op.create_table(
        "outbox_consumptions",
        sa.Column("outbox_id", sa.BigInteger(), nullable=False),
        sa.Column("consumer", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("done_at", TIMESTAMPTZ, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", TIMESTAMPTZ, nullable=True),
        sa.PrimaryKeyConstraint("outbox_id", "consumer", name=op.f("pk_outbox_consumptions")),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox.id"],
            name=op.f("fk_outbox_consumptions_outbox_id_outbox"),
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("outbox_consumptions")
    op.drop_index("ix_outbox_dispatched_at", table_name="outbox")
    op.drop_index("ix_outbox_undispatched", table_name="outbox")
    op.drop_table("outbox")
