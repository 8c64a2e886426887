"""A small HTTP/1.1 load generator on raw asyncio streams: keep-alive connections, one request in flight each.

Written without an HTTP library so the generator, not the server, is the cheap side of the measurement.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

RequestMaker = Callable[[int], bytes]


@dataclass
class Result:
    name: str
    concurrency: int
    elapsed: float
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    bodies: list[bytes] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.count / self.elapsed if self.elapsed else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else float("nan")

    @property
    def p99(self) -> float:
        return self.percentile(0.99)


def get(path: str, host: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: keep-alive\r\n\r\n".encode()


def post_json(path: str, host: str, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nConnection: keep-alive\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    )
    return head.encode() + body


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    for line in lines[1:]:
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    body = await reader.readexactly(length) if length else b""
    return status, body


async def run(
    name: str,
    host: str,
    port: int,
    make: RequestMaker,
    concurrency: int,
    duration: float | None = None,
    total: int | None = None,
    keep_bodies: bool = False,
    start_together: bool = False,
) -> Result:
    """Drive `make(i)` requests from `concurrency` connections for `duration` seconds or `total` requests."""
    result = Result(name, concurrency, 0.0)
    counter = iter(range(10**9))
    stop_at = float("inf")
    gate = asyncio.Event()

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            await gate.wait()
            while time.perf_counter() < stop_at:
                i = next(counter)
                if total is not None and i >= total:
                    return
                request = make(i)
                began = time.perf_counter()
                status, body = await _exchange(reader, writer, request)
                result.latencies.append(time.perf_counter() - began)
                result.statuses[status] += 1
                if keep_bodies:
                    result.bodies.append(body)
        finally:
            writer.close()

    tasks = [asyncio.create_task(worker()) for _ in range(concurrency)]
    await asyncio.sleep(0.3 if start_together else 0.1)  # let every connection open first
    began = time.perf_counter()
    if duration is not None:
        stop_at = began + duration
    gate.set()
    await asyncio.gather(*tasks)
    result.elapsed = time.perf_counter() - began
    return result
