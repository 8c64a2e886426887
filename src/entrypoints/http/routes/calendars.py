"""Calendars (API.md section 12): blocks on a resource, staff feed URLs, the feeds themselves, and the
customer's booking as .ics."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import Parameter

from domain.calendars import Block
from domain.errors import NotFound
from domain.identity import Caller
from entrypoints.composition import Runtime, UseCases
from entrypoints.http.schemas.calendars import BlockBody, BlockList, BlockOut, FeedOut
from entrypoints.http.schemas.common import utc

PathId = Annotated[int, Parameter(ge=1, le=9_007_199_254_740_991)]
FeedFile = Annotated[str, Parameter(min_length=5, max_length=128, pattern=r"^[A-Za-z0-9_-]+\.ics$")]
ManageToken = Annotated[str, Parameter(min_length=1, max_length=128)]
ICS = "text/calendar"  # Litestar adds the charset


def _block(b: Block) -> BlockOut:
    return BlockOut(
        id=b.id,
        resource_id=b.resource_id,
        start_time=utc(b.start_time),  # type: ignore[arg-type]
        end_time=utc(b.end_time),  # type: ignore[arg-type]
        reason=b.reason,
        source=b.source,
        created_at=utc(b.created_at),
    )


def _feed_url(state: State, token: str) -> FeedOut:
    runtime: Runtime = state.runtime
    return FeedOut(f"{runtime.settings.public_base_url}/ical/{token}.ics")


class BlocksController(Controller):
    path = "/api/resources/{resource_id:int}/blocks"
    tags = ["calendars"]

    @post("/", status_code=201)
    async def create(
        self,
        resource_id: PathId,
        data: BlockBody,
        cases: NamedDependency[UseCases],
        caller: NamedDependency[Caller],
    ) -> BlockOut:
        made = await cases.blocks.create(caller, resource_id, data.start_time, data.end_time, data.reason)
        return _block(made)

    @get("/")
    async def list_blocks(
        self, resource_id: PathId, cases: NamedDependency[UseCases], caller: NamedDependency[Caller]
    ) -> BlockList:
        return BlockList([_block(b) for b in await cases.blocks.list(caller, resource_id)])

    @delete("/{block_id:int}", status_code=204)
    async def remove(
        self,
        resource_id: PathId,
        block_id: PathId,
        cases: NamedDependency[UseCases],
        caller: NamedDependency[Caller],
    ) -> None:
        await cases.blocks.delete(caller, resource_id, block_id)


class FeedsController(Controller):
    path = "/api"
    tags = ["calendars"]

    @get("/organisations/{organisation_id:int}/calendar-feed")
    async def organisation_feed(
        self,
        organisation_id: PathId,
        cases: NamedDependency[UseCases],
        caller: NamedDependency[Caller],
        state: State,
    ) -> FeedOut:
        return _feed_url(state, await cases.feeds.token(caller, organisation_id=organisation_id))

    @post("/organisations/{organisation_id:int}/calendar-feed/regenerate", status_code=200)
    async def regenerate_organisation_feed(
        self,
        organisation_id: PathId,
        cases: NamedDependency[UseCases],
        caller: NamedDependency[Caller],
        state: State,
    ) -> FeedOut:
        return _feed_url(state, await cases.feeds.token(caller, organisation_id=organisation_id, renew=True))

    @get("/resources/{resource_id:int}/calendar-feed")
    async def resource_feed(
        self,
        resource_id: PathId,
        cases: NamedDependency[UseCases],
        caller: NamedDependency[Caller],
        state: State,
    ) -> FeedOut:
        return _feed_url(state, await cases.feeds.token(caller, resource_id=resource_id))

    @post("/resources/{resource_id:int}/calendar-feed/regenerate", status_code=200)
    async def regenerate_resource_feed(
        self,
        resource_id: PathId,
        cases: NamedDependency[UseCases],
        caller: NamedDependency[Caller],
        state: State,
    ) -> FeedOut:
        return _feed_url(state, await cases.feeds.token(caller, resource_id=resource_id, renew=True))


class PublicCalendarsController(Controller):
    path = "/"
    tags = ["calendars"]
    security = [{}]

    @get("/ical/{feed:str}", opt={"rate_limit": "PUBLIC_MANAGE", "media": ICS})
    async def feed(self, feed: FeedFile, cases: NamedDependency[UseCases]) -> Response[bytes]:
        """A staff calendar feed (RFC 5545) by its secret token; 404 once it is regenerated."""
        if not feed.endswith(".ics"):
            raise NotFound("no such feed")
        body = await cases.feeds.feed(feed.removesuffix(".ics"))
        return Response(body, media_type=ICS, headers={"cache-control": "private, max-age=300"})

    @get(
        "/api/public/reservations/{manage_token:str}/calendar.ics",
        opt={"rate_limit": "PUBLIC_MANAGE", "media": ICS},
    )
    async def booking(self, manage_token: ManageToken, cases: NamedDependency[UseCases]) -> Response[bytes]:
        """The customer's booking as an .ics file for their calendar."""
        body = await cases.booking_calendar(manage_token)
        return Response(
            body, media_type=ICS, headers={"content-disposition": 'attachment; filename="booking.ics"'}
        )
