"""stays: resource types booked by the night or the day, the dates and guests of a reservation, and how
long before its start a customer may still move a booking

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UNITS = "booking_unit IN ('slot', 'night', 'day')"


def upgrade() -> None:
    # Existing types keep booking by the slot; the new columns' defaults are API.md's.
    op.add_column(
        "resource_types", sa.Column("booking_unit", sa.Text(), server_default="slot", nullable=False)
    )
    op.add_column(
        "resource_types", sa.Column("check_in_time", sa.Text(), server_default="15:00", nullable=False)
    )
    op.add_column(
        "resource_types", sa.Column("check_out_time", sa.Text(), server_default="11:00", nullable=False)
    )
    op.add_column("resource_types", sa.Column("min_stay", sa.Integer(), server_default="1", nullable=False))
    op.add_column("resource_types", sa.Column("max_stay", sa.Integer(), server_default="30", nullable=False))
    op.add_column("resource_types", sa.Column("max_guests", sa.Integer(), nullable=True))
    op.create_check_constraint("ck_resource_types_booking_unit", "resource_types", UNITS)
    op.create_check_constraint(
        "ck_resource_types_stay_length", "resource_types", "min_stay >= 1 AND max_stay >= min_stay"
    )

    op.add_column("reservations", sa.Column("booking_unit", sa.Text(), server_default="slot", nullable=False))
    op.add_column("reservations", sa.Column("stay_start_date", sa.Date(), nullable=True))
    op.add_column("reservations", sa.Column("stay_end_date", sa.Date(), nullable=True))
    op.add_column("reservations", sa.Column("adults", sa.SmallInteger(), nullable=True))
    op.add_column("reservations", sa.Column("children", sa.SmallInteger(), nullable=True))
    op.create_check_constraint("ck_reservations_booking_unit", "reservations", UNITS)
    # A stay has its dates, in order; a booking by the slot has none.
    op.create_check_constraint(
        "ck_reservations_stay_dates",
        "reservations",
        "(booking_unit = 'slot' AND stay_start_date IS NULL AND stay_end_date IS NULL)"
        " OR (booking_unit <> 'slot' AND stay_end_date > stay_start_date)",
    )
    op.create_check_constraint(
        "ck_reservations_guests",
        "reservations",
        "(adults IS NULL OR adults >= 1) AND (children IS NULL OR children >= 0)",
    )

    op.add_column(
        "organisations",
        sa.Column("reschedule_min_hours_before", sa.Integer(), server_default="24", nullable=False),
    )
    op.create_check_constraint(
        "ck_organisations_reschedule_min_hours_before",
        "organisations",
        "reschedule_min_hours_before BETWEEN 0 AND 8760",
    )


def downgrade() -> None:
    op.drop_constraint("ck_organisations_reschedule_min_hours_before", "organisations", type_="check")
    op.drop_column("organisations", "reschedule_min_hours_before")
    for name in ("guests", "stay_dates", "booking_unit"):
        op.drop_constraint(f"ck_reservations_{name}", "reservations", type_="check")
    for column in ("children", "adults", "stay_end_date", "stay_start_date", "booking_unit"):
        op.drop_column("reservations", column)
    for name in ("stay_length", "booking_unit"):
        op.drop_constraint(f"ck_resource_types_{name}", "resource_types", type_="check")
    for column in ("max_guests", "max_stay", "min_stay", "check_out_time", "check_in_time", "booking_unit"):
        op.drop_column("resource_types", column)
