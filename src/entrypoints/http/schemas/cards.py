"""Bodies of the saved-card routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import Meta

from entrypoints.http.schemas.common import Body, Out


class CardBody(Body):
    payment_method_id: Annotated[str, Meta(min_length=3, max_length=255, pattern="^pm_[A-Za-z0-9_]+$")]


class SetupIntentOut(Out):
    client_secret: str
    publishable_key: str | None


class CardOut(Out):
    id: int
    payment_method_id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    created_at: datetime | None


class CardList(Out):
    data: list[CardOut]
