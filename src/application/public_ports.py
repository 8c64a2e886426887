"""Ports of the public booking hot path: everything a request needs read at once, written at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from application.ports import Usage
from domain.catalog import Organisation, Resource, ResourceType


@dataclass(frozen=True)
class BookingView:
    """What a public booking request needs, read at once: the organisation, the type, its active
    resources and their usage around the requested time."""

    organisation: Organisation
    resource_type: ResourceType
    resources: list[Resource]
    usage: Usage
    token_resource_id: int | None = None


@dataclass(frozen=True)
class ViewWindow:
    """Local dates from `first_day` to `last_day` inclusive (availability, a calendar, a stay's dates), or
    an exact interval (quote, reserve by the slot); buffers are added by the reader."""

    first_day: date | None = None
    last_day: date | None = None
    start: datetime | None = None
    end: datetime | None = None

    @classmethod
    def days(cls, first: date, last: date | None = None) -> ViewWindow:
        return cls(first_day=first, last_day=last or first)


class PublicReads(Protocol):
    async def booking_view(
        self,
        slug: str | None,
        token: str | None,
        resource_type_id: int | None,
        window: ViewWindow,
        now: datetime,
    ) -> BookingView | None:
        """None when the slug or token, or the type, is not publicly bookable."""
        ...
