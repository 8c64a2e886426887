"""saved cards: the user's Stripe Customer, and the cards attached to it (brand, last 4, expiry only)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TIMESTAMPTZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("users", sa.Column("stripe_customer_id", sa.Text(), nullable=True))
    op.create_unique_constraint(op.f("uq_users_stripe_customer_id"), "users", ["stripe_customer_id"])
    op.create_table(
        "saved_cards",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("stripe_payment_method_id", sa.Text(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("last4", sa.Text(), nullable=False),
        sa.Column("exp_month", sa.SmallInteger(), nullable=False),
        sa.Column("exp_year", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_cards")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_saved_cards_user_id_users"), ondelete="CASCADE"
        ),
        sa.UniqueConstraint("stripe_payment_method_id", name=op.f("uq_saved_cards_stripe_payment_method_id")),
    )
    op.create_index("ix_saved_cards_user_id", "saved_cards", ["user_id"])


def downgrade() -> None:
    op.drop_table("saved_cards")
    op.drop_constraint(op.f("uq_users_stripe_customer_id"), "users", type_="unique")
    op.drop_column("users", "stripe_customer_id")
