"""Blocks and import bookkeeping as the database would keep them (a block over another is refused, as the
allocation guard refuses it), and a feed source that says what the test wants."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from application.calendar_ports import Fetched, ImportFailed, ImportJob
from domain.calendars import IMPORTED, Block
from domain.errors import CapacityConflict


@dataclass
class CalendarWorld:
    blocks: dict[int, Block] = field(default_factory=dict)
    jobs: list[ImportJob] = field(default_factory=list)
    recorded: list[tuple[int, str | None, bool]] = field(default_factory=list)  # resource, error, read
    next_id: int = 0


class _Calendars:
    world: Any

    @property
    def w(self) -> CalendarWorld:  # read each time: a savepoint's rollback swaps the world's parts
        return self.world.calendars  # type: ignore[no-any-return]


class FakeBlocks(_Calendars):
    def __init__(self, world: Any) -> None:
        self.world = world

    async def add(self, block: Block) -> Block:
        taken = [
            (r.start_time, r.end_time)
            for r in self.world.reservations.values()
            if any(a.resource_id == block.resource_id for a in r.allocations)
            and r.status.value in ("confirmed", "pending")
        ] + [(b.start_time, b.end_time) for b in self.w.blocks.values() if b.resource_id == block.resource_id]
        if any(s < block.end_time and block.start_time < e for s, e in taken):
            raise CapacityConflict("not enough free capacity for the requested time")
        self.w.next_id += 1
        made = replace(block, id=self.w.next_id)
        self.w.blocks[made.id] = made
        return made

    async def of_resource(self, organisation_id: int, resource_id: int, since: datetime) -> list[Block]:
        return sorted(
            (b for b in self.w.blocks.values() if b.resource_id == resource_id and b.end_time > since),
            key=lambda b: b.start_time,
        )

    async def delete(self, organisation_id: int, resource_id: int, block_id: int) -> bool:
        found = self.w.blocks.get(block_id)
        if found is None or found.organisation_id != organisation_id or found.resource_id != resource_id:
            return False
        del self.w.blocks[block_id]
        return True

    async def imported(self, organisation_id: int, resource_id: int) -> list[Block]:
        return [b for b in self.w.blocks.values() if b.resource_id == resource_id and b.source == IMPORTED]


class FakeImports(_Calendars):
    def __init__(self, world: Any) -> None:
        self.world = world

    async def due(self, now: datetime, next_at: datetime, limit: int) -> list[ImportJob]:
        due, self.w.jobs = self.w.jobs[:limit], self.w.jobs[limit:]
        return due

    async def record(
        self, resource_id: int, now: datetime, error: str | None, fetched: Fetched | None
    ) -> None:
        self.w.recorded.append((resource_id, error, fetched is not None))


@dataclass
class ScriptedSource:
    """Answers each read with the next scripted Fetched, or raises ImportFailed for a string."""

    script: list[Fetched | str]

    async def read(self, job: ImportJob, since: datetime, until: datetime) -> Fetched:
        answer = self.script.pop(0)
        if isinstance(answer, str):
            raise ImportFailed(answer)
        return answer
