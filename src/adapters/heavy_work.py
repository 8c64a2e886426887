"""CPU-bound work off the event loop: one thread at a time, so the loop (and every other request) gets the
interpreter back every few milliseconds instead of waiting for the whole computation."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class ThreadedHeavyWork:
    def __init__(self, concurrent: int = 1) -> None:
        self._slots = asyncio.Semaphore(concurrent)  # more threads would only share the same interpreter

    async def run(self, work: Callable[[], T]) -> T:
        async with self._slots:
            return await asyncio.to_thread(work)
