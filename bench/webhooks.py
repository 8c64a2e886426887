"""`python -m bench.webhooks`: what outgoing webhooks cost and how fast one worker delivers them.

Starts `booking serve` (no in-process worker) and one `booking worker` on a fresh database, and a local
receiver in its own process answering 200 to every POST. Then, in one run: the ceiling (GET /ready, 32
clients); public reserve with the worker stopped (the events only accumulate);
- public reserve at 32 clients with no endpoint subscribed, then with one endpoint subscribed to every event
  (the worker fanning out and delivering meanwhile), alternated twice so that noise falls on both alike;
- delivery throughput: with the worker stopped, a backlog of reservations is made, the worker is started and
  the events per second from its first delivery to its last are what one worker delivers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import secrets
import socket
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench import load
from bench.__main__ import HOST, RESULTS, measure, reserve_request
from bench.seed import create_shop
from bench.server import BIN, ROOT, BenchServer, fresh_database


def _receive(port: int, count: Any, first: Any, last: Any) -> None:
    """A minimal keep-alive HTTP/1.1 server: 200 to everything, counting requests and their times."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                now = time.time()
                with count.get_lock():
                    count.value += 1
                    if not first.value:
                        first.value = now
                    last.value = now
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def serve() -> None:
        server = await asyncio.start_server(handle, HOST, port)
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class WorkerProcess:
    def __init__(self, env: dict[str, str]) -> None:
        self.log = (ROOT / ".booking" / "bench-worker.log").open("ab")
        self.process = subprocess.Popen(
            [str(BIN / "booking"), "worker"],
            env=env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self) -> None:
        import signal

        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=60)
        self.log.close()


async def _count(url: str, sql: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval(sql))
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks")
    parser.add_argument("--seconds", type=float, default=6.0, help="length of each reserve phase")
    parser.add_argument("--backlog", type=int, default=3000, help="reservations made while the worker is off")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()

    count = multiprocessing.Value("l", 0)
    first = multiprocessing.Value("d", 0.0)
    last = multiprocessing.Value("d", 0.0)
    port = _free_port()
    receiver = multiprocessing.Process(target=_receive, args=(port, count, first, last), daemon=True)
    receiver.start()

    url = fresh_database()
    server = BenchServer(url, extra_env={"RUN_WORKER": "false"})
    env = server.env | {"WORKER_INTERVAL_SECONDS": "1"}
    worker = WorkerProcess(env)
    report: dict[str, Any] = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "cpus": os.cpu_count()}
    try:
        shop = create_shop(server.url)
        base = (datetime.now(UTC) + timedelta(days=20)).replace(minute=0, second=0, microsecond=0)
        # each hour 20 times, once per resource, within the types' 365 days ahead
        slots = [base + timedelta(hours=h) for h in range(24 * 330) for _ in range(20)]
        used = 0

        def reserve(label: str) -> load.Result:
            nonlocal used
            make = reserve_request(shop, slots[used:])
            # distinct requests, or wrk would repeat the first one (a slot that fills after 20)
            result: load.Result = measure(
                label, server, make, 32, args.seconds, distinct=min(10_000, len(slots) - used)
            )
            used += result.count + 32
            return result

        ready = load.get("/ready", HOST)
        ceiling = measure("ceiling GET /ready", server, lambda _: ready, 32, args.seconds)
        worker.stop()
        idle = reserve("reserve, no worker running")
        worker = WorkerProcess(env)
        print("Reserve throughput, without and with an endpoint subscribed to every event:", flush=True)
        without, with_hook = [reserve("reserve, no endpoint")], []
        with httpx.Client(
            base_url=server.url,
            headers={"Authorization": f"Bearer {shop.token}", "X-Organisation-Id": str(shop.organisation_id)},
        ) as staff:
            hook = staff.post(
                "/api/webhook-endpoints", json={"url": f"http://{HOST}:{port}/hook", "events": ["*"]}
            )
            hook.raise_for_status()
            hook_id = hook.json()["id"]
            with_hook.append(reserve("reserve, endpoint subscribed"))
            staff.patch(f"/api/webhook-endpoints/{hook_id}", json={"enabled": False}).raise_for_status()
            without.append(reserve("reserve, no endpoint"))
            staff.patch(f"/api/webhook-endpoints/{hook_id}", json={"enabled": True}).raise_for_status()
            with_hook.append(reserve("reserve, endpoint subscribed"))
        settle = time.monotonic() + 120
        pending = "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'"
        while asyncio.run(_count(url, pending)) and time.monotonic() < settle:
            time.sleep(0.5)

        print(
            f"Delivery: {args.backlog} reservations made with the worker stopped, then one worker", flush=True
        )
        worker.stop()
        backlog = asyncio.run(
            load.run(
                "backlog", HOST, server.port, reserve_request(shop, slots[used:]), 16, total=args.backlog
            )
        )
        made = backlog.statuses.get(201, 0)
        before = count.value
        with first.get_lock():
            first.value = 0.0
        worker = WorkerProcess(env)
        deadline = time.monotonic() + 600
        while count.value - before < made and time.monotonic() < deadline:
            time.sleep(0.2)
        delivered = count.value - before
        took = last.value - first.value
        rate = delivered / took if took > 0 else 0.0
        print(f"  {delivered} of {made} events delivered in {took:.2f} s: {rate:.0f} events/s", flush=True)
        failed = asyncio.run(_count(url, "SELECT count(*) FROM webhook_deliveries WHERE status = 'failed'"))
    finally:
        worker.stop()
        server.stop()
        receiver.terminate()

    def mean(results: list[load.Result]) -> float:
        return sum(r.throughput for r in results) / len(results)

    report.update(
        {
            "ceiling_c32": round(ceiling.throughput, 1),
            "reserve_c32_no_worker": round(idle.throughput, 1),
            "reserve_c32_without_endpoint": [round(r.throughput, 1) for r in without],
            "reserve_c32_with_endpoint": [round(r.throughput, 1) for r in with_hook],
            "reserve_ratio_with_to_without": round(mean(with_hook) / mean(without), 3),
            "reserve_with_endpoint_of_ceiling": round(mean(with_hook) / ceiling.throughput, 3),
            "reserve_without_endpoint_of_ceiling": round(mean(without) / ceiling.throughput, 3),
            "reserve_no_worker_of_ceiling": round(idle.throughput / ceiling.throughput, 3),
            "delivery": {
                "events": made,
                "delivered": delivered,
                "seconds": round(took, 2),
                "events_per_second": round(rate, 1),
                "failed": failed,
            },
        }
    )
    print(json.dumps(report, indent=2))
    out = Path(args.out) if args.out else RESULTS / f"webhooks-{secrets.token_hex(2)}.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"Wrote {out}")
    raise SystemExit(0 if delivered == made and failed == 0 else 1)


if __name__ == "__main__":
    main()
