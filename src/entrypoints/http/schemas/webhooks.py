"""Bodies of the webhook endpoint routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import UNSET, Meta, UnsetType

from entrypoints.http.schemas.common import URL_FORMAT, Body, DeliveryStatusName, Out, Pagination

Url = Annotated[str, Meta(min_length=1, max_length=2048), URL_FORMAT]
Events = Annotated[list[Annotated[str, Meta(max_length=64)]], Meta(min_length=1, max_length=20)]
Description = Annotated[str, Meta(max_length=500)]


class EndpointBody(Body):
    url: Url
    events: Events
    description: Description | None = None


class EndpointPatch(Body):
    url: Url | UnsetType = UNSET
    events: Events | UnsetType = UNSET
    enabled: bool | UnsetType = UNSET
    description: Description | UnsetType | None = UNSET


class EndpointOut(Out):
    id: int
    url: str
    events: list[str]
    description: str | None
    enabled: bool
    created_at: datetime | None
    updated_at: datetime | None


class EndpointCreatedOut(EndpointOut):
    secret: str  # shown once


class EndpointList(Out):
    data: list[EndpointOut]
    pagination: Pagination


class SecretOut(Out):
    secret: str


class DeliveryOut(Out):
    id: int
    event_id: str
    event_type: str
    attempt: int
    status: DeliveryStatusName
    response_status: int | None
    error: str | None
    duration_ms: int | None
    created_at: datetime | None
    next_attempt_at: datetime | None


class DeliveryList(Out):
    data: list[DeliveryOut]
    pagination: Pagination
