"""Bodies of the block and calendar feed routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import Meta

from entrypoints.http.schemas.common import Aware, Body, Out


class BlockBody(Body):
    start_time: Aware
    end_time: Aware
    reason: Annotated[str, Meta(max_length=500)] | None = None


class BlockOut(Out):
    id: int
    resource_id: int
    start_time: datetime
    end_time: datetime
    reason: str | None
    source: str  # manual or import
    created_at: datetime | None


class BlockList(Out):
    data: list[BlockOut]


class FeedOut(Out):
    url: str
