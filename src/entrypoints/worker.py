"""`booking worker`: background jobs in a loop; several workers may run at once (rows are claimed
with SKIP LOCKED). In development `booking serve` runs the same loop in-process."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from contextlib import suppress

from application.jobs import BackgroundJobs
from entrypoints.logs import configure
from entrypoints.settings import Settings

log = logging.getLogger("booking.worker")
INTERVAL_SECONDS = 10.0
QUICK_SECONDS = 1.0  # how soon a recorded event leaves as a webhook


async def work_forever(
    jobs: BackgroundJobs,
    interval: float = INTERVAL_SECONDS,
    stop: asyncio.Event | None = None,
    quick: float = QUICK_SECONDS,
) -> None:
    """Run the jobs every `interval` seconds, and the notifications (events fanned out, webhooks sent)
    every `quick` seconds, until stopped; a failing round is logged and retried."""
    stop = stop or asyncio.Event()
    await asyncio.gather(_every(interval, stop, _jobs(jobs)), _every(quick, stop, _notify(jobs)))


def _jobs(jobs: BackgroundJobs) -> Callable[[], Awaitable[None]]:
    async def round_() -> None:
        done = await jobs.run_once()
        if done.expired or done.reconciled or done.completed or done.dispatched:
            log.info(
                "jobs: %s holds expired, %s payments reconciled, %s reservations completed, "
                "%s events dispatched",
                done.expired,
                done.reconciled,
                done.completed,
                done.dispatched,
            )

    return round_


def _notify(jobs: BackgroundJobs) -> Callable[[], Awaitable[None]]:
    async def round_() -> None:
        done = await jobs.notify()
        if done.delivered:
            log.info("webhooks: %s attempts made, %s events dispatched", done.delivered, done.dispatched)

    return round_


async def _every(seconds: float, stop: asyncio.Event, work: Callable[[], Awaitable[None]]) -> None:
    while not stop.is_set():
        try:
            await work()
        except Exception:
            log.exception("a round of background jobs failed; trying again next round")
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)


async def run_worker(settings: Settings) -> None:
    from entrypoints.composition import build_runtime

    configure(settings.log_level)
    runtime = build_runtime(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker started")
    try:
        await work_forever(runtime.use_cases.jobs, float(settings.worker_interval_seconds), stop)
    finally:
        await runtime.close()
        log.info("worker stopped")
