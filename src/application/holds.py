"""The one way a lapsed payment hold ends: the aggregate's `expire_hold`, saved. Used by the worker, by a
booking that finds one in its way, by a late payment and by a retry (the database counts a lapsed hold
until it is expired, so whoever meets one expires it first)."""

from __future__ import annotations

from datetime import datetime

from application.ports import UnitOfWork
from domain.allocation import buffered
from domain.reservation import Reservation
from domain.status import ReservationStatus


async def expire_lapsed(uow: UnitOfWork, reservation_ids: list[int], now: datetime) -> list[Reservation]:
    """Expire these reservations' holds if they have lapsed (locked in id order); the ones expired."""
    if not reservation_ids:
        return []
    expired = []
    for reservation in await uow.reservations.locked(sorted(set(reservation_ids))):
        if reservation.status == ReservationStatus.PENDING_PAYMENT and not reservation.holds_capacity(now):
            reservation.expire_hold(now)
            await uow.reservations.update(reservation)
            expired.append(reservation)
    return expired


async def expire_lapsed_around(uow: UnitOfWork, reservation: Reservation, now: datetime) -> None:
    """Other lapsed holds on the reservation's resources, over its buffered time: expired, so that a late
    payment or a retry of this one is never refused because of them."""
    rt = await uow.resource_types.get(reservation.organisation_id, reservation.resource_type_id)
    before, after = (rt.buffer_before_minutes, rt.buffer_after_minutes) if rt else (0, 0)
    window = buffered(reservation.start_time, reservation.end_time, before, after)
    usage = await uow.reservations.usage(reservation.resource_ids, *window, now, exclude=reservation.id)
    await expire_lapsed(uow, usage.lapsed, now)
