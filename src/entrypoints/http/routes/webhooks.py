"""The organisation's webhook endpoints and their deliveries: `/api/webhook-endpoints`."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import Parameter

from application.ports import PageRequest
from application.webhook_ports import Delivery
from domain.identity import Caller
from domain.webhooks import Endpoint
from entrypoints.composition import UseCases
from entrypoints.http.schemas.common import pagination, utc
from entrypoints.http.schemas.webhooks import (
    DeliveryList,
    DeliveryOut,
    EndpointBody,
    EndpointCreatedOut,
    EndpointList,
    EndpointOut,
    EndpointPatch,
    SecretOut,
)

PathId = Annotated[int, Parameter(ge=1, le=9_007_199_254_740_991)]


def endpoint_out(e: Endpoint) -> EndpointOut:
    return EndpointOut(
        id=e.id,
        url=e.url,
        events=list(e.events),
        description=e.description,
        enabled=e.enabled,
        created_at=utc(e.created_at),
        updated_at=utc(e.updated_at),
    )


def delivery_out(d: Delivery) -> DeliveryOut:
    return DeliveryOut(
        id=d.id,
        event_id=d.event_id,
        event_type=d.event_type,
        attempt=d.attempt,
        status=d.status,
        response_status=d.response_status,
        error=d.error,
        duration_ms=d.duration_ms,
        created_at=utc(d.created_at),
        next_attempt_at=utc(d.next_attempt_at),
    )


class WebhookEndpointsController(Controller):
    path = "/api/webhook-endpoints"
    tags = ["webhooks"]

    @post("/", status_code=201)
    async def create(
        self, data: EndpointBody, cases: NamedDependency[UseCases], caller: NamedDependency[Caller]
    ) -> EndpointCreatedOut:
        made = await cases.webhooks.create(caller, data.url, data.events, data.description)
        shown = msgspec.structs.asdict(endpoint_out(made))
        return EndpointCreatedOut(**shown, secret=made.secret)

    @get("/")
    async def list_endpoints(
        self,
        cases: NamedDependency[UseCases],
        caller: NamedDependency[Caller],
        page: NamedDependency[PageRequest],
    ) -> EndpointList:
        found = await cases.webhooks.page(caller, page)
        return EndpointList([endpoint_out(e) for e in found.items], pagination(found))  # type: ignore[arg-type]

    @get("/{endpoint_id:int}")
    async def get_one(
        self, endpoint_id: PathId, cases: NamedDependency[UseCases], caller: NamedDependency[Caller]
    ) -> EndpointOut:
        return endpoint_out(await cases.webhooks.get(caller, endpoint_id))

    @patch("/{endpoint_id:int}")
    async def update(
        self,
        endpoint_id: PathId,
        data: EndpointPatch,
        cases: NamedDependency[UseCases],
        caller: NamedDependency[Caller],
    ) -> EndpointOut:
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        return endpoint_out(await cases.webhooks.update(caller, endpoint_id, changes))

    @delete("/{endpoint_id:int}", status_code=204)
    async def remove(
        self, endpoint_id: PathId, cases: NamedDependency[UseCases], caller: NamedDependency[Caller]
    ) -> None:
        await cases.webhooks.delete(caller, endpoint_id)

    @post("/{endpoint_id:int}/rotate-secret", status_code=200)
    async def rotate_secret(
        self, endpoint_id: PathId, cases: NamedDependency[UseCases], caller: NamedDependency[Caller]
    ) -> SecretOut:
        return SecretOut((await cases.webhooks.rotate_secret(caller, endpoint_id)).secret)

    @post("/{endpoint_id:int}/ping", status_code=202)
    async def ping(
        self, endpoint_id: PathId, cases: NamedDependency[UseCases], caller: NamedDependency[Caller]
    ) -> None:
        await cases.webhooks.ping(caller, endpoint_id)

    @get("/{endpoint_id:int}/deliveries")
    async def deliveries(
        self,
        endpoint_id: PathId,
        cases: NamedDependency[UseCases],
        caller: NamedDependency[Caller],
        page: NamedDependency[PageRequest],
    ) -> DeliveryList:
        found = await cases.webhooks.deliveries(caller, endpoint_id, page)
        return DeliveryList([delivery_out(d) for d in found.items], pagination(found))  # type: ignore[arg-type]

    @post("/{endpoint_id:int}/deliveries/{delivery_id:int}/redeliver", status_code=202)
    async def redeliver(
        self,
        endpoint_id: PathId,
        delivery_id: PathId,
        cases: NamedDependency[UseCases],
        caller: NamedDependency[Caller],
    ) -> None:
        await cases.webhooks.redeliver(caller, endpoint_id, delivery_id)
