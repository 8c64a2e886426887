"""`booking worker`: background jobs (payment holds, reconciliation, completion) come with payments."""

from __future__ import annotations

import asyncio

from entrypoints.settings import Settings


async def run_worker(settings: Settings) -> None:  # pragma: no cover - filled in with payments
    await asyncio.Event().wait()
