"""`python -m bench.profile [availability|reserve] [concurrency]`: where the server's time goes under load, by py-spy.

Starts the server on a fresh database, seeds a shop, drives the chosen endpoint (32 connections by default) for
15 s while `py-spy record` samples the server process, and prints the functions with the most samples
(self and cumulative). Needs py-spy (`pip install py-spy`).
"""

from __future__ import annotations

import asyncio
import collections
import subprocess
import sys
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import load
from bench.__main__ import HOST, availability_request, reserve_request
from bench.seed import add_future, add_history, create_shop
from bench.server import BIN, BenchServer, fresh_database


def summarise(collapsed: Path, top: int = 25) -> None:
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        n = int(count)
        samples += n
        own[frames[-1]] += n
        for frame in set(frames):
            total[frame] += n
    print(f"\n{samples} samples. Most time spent in (self):")
    for frame, n in own.most_common(top):
        print(f"  {n / samples:6.1%}  {frame}")
    print("\nMost time spent under (cumulative):")
    for frame, n in total.most_common(top + 15):
        print(f"  {n / samples:6.1%}  {frame}")


def main() -> None:
    what = sys.argv[1] if len(sys.argv) > 1 else "availability"
    concurrency = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    url = fresh_database()
    server = BenchServer(url)
    try:
        shop = create_shop(server.url)
        add_history(url, shop, 5_000)
        first = add_future(url, shop, 2_000)
        if what == "availability":
            make = availability_request(shop, (first + timedelta(days=2)).date().isoformat())
        else:
            base = (datetime.now(UTC) + timedelta(days=150)).replace(minute=0, second=0, microsecond=0)
            make = reserve_request(shop, [base + timedelta(hours=h) for h in range(24 * 200)])
        out = Path(tempfile.mkstemp(suffix=".txt")[1])
        spy = subprocess.Popen(
            [
                str(BIN / "py-spy"),
                "record",
                "--pid",
                str(server.process.pid),
                "--format",
                "raw",
                "--duration",
                "12",
                "--rate",
                "200",
                "--output",
                str(out),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        result: list[load.Result] = []
        worker = threading.Thread(
            target=lambda: result.append(
                asyncio.run(load.run(what, HOST, server.port, make, concurrency, duration=12))
            )
        )
        worker.start()
        worker.join()
        spy.wait(timeout=60)
        print(
            f"{what}: {result[0].throughput:.1f} req/s under the profiler, statuses {dict(result[0].statuses)}"
        )
        summarise(out)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
