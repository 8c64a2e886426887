"""payment intents: the saved-card PaymentIntent a reservation is being paid by

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("reservations", sa.Column("stripe_payment_intent_id", sa.Text(), nullable=True))
    op.create_index("ix_reservations_stripe_payment_intent_id", "reservations", ["stripe_payment_intent_id"])


def downgrade() -> None:
    op.drop_index("ix_reservations_stripe_payment_intent_id", table_name="reservations")
    op.drop_column("reservations", "stripe_payment_intent_id")
