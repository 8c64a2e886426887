"""customer accounts: the user a reservation was booked by (as a customer), and its dispute status

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("reservations", sa.Column("customer_user_id", sa.BigInteger(), nullable=True))
    op.add_column(
        "reservations", sa.Column("dispute_status", sa.Text(), server_default="none", nullable=False)
    )
    op.create_foreign_key(
        op.f("fk_reservations_customer_user_id_users"),
        "reservations",
        "users",
        ["customer_user_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_check_constraint(
        "ck_reservations_dispute_status", "reservations", "dispute_status IN ('none', 'open', 'won', 'lost')"
    )
    # "My bookings" is one index range: the user's, by start.
    op.create_index(
        "ix_reservations_customer_user_id_start_time", "reservations", ["customer_user_id", "start_time"]
    )


def downgrade() -> None:
    op.drop_index("ix_reservations_customer_user_id_start_time", table_name="reservations")
    op.drop_constraint("ck_reservations_dispute_status", "reservations", type_="check")
    op.drop_constraint(op.f("fk_reservations_customer_user_id_users"), "reservations", type_="foreignkey")
    op.drop_column("reservations", "dispute_status")
    op.drop_column("reservations", "customer_user_id")
