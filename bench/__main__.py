"""`python -m bench`: the performance proof of issue 4 against the real server on PostgreSQL.

Starts `booking serve` on a fresh database, seeds an organisation (20 resources, 50,000 past and 2,000 future
reservations), then measures from this process: the one-round-trip ceiling (/ready), public availability,
the month calendar (31 days, one read), public reserve (on distinct free slots of 20 resources, and on the
consecutive hours of one capacity-1 resource), a 200-client race for the last unit, and availability with
1,000 versus 100,000 past reservations. Every figure of one run comes from the same machine state, so the ratios are what to read.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench import adversarial, load, wrk
from bench.seed import Shop, add_future, add_history, create_shop
from bench.server import BenchServer, fresh_database

HOST = "127.0.0.1"
RESULTS = Path(__file__).parent / "results"

OVERBOOKED_SQL = """
SELECT count(*) FROM (
  SELECT p.resource_id, p.instant
    FROM (SELECT DISTINCT resource_id, occupied_from AS instant FROM reservation_allocations WHERE holding) AS p
    JOIN reservation_allocations b
      ON b.resource_id = p.resource_id AND b.holding
     AND b.occupied_from <= p.instant AND p.instant < b.occupied_until
    JOIN resources r ON r.id = p.resource_id
   GROUP BY p.resource_id, p.instant
  HAVING sum(b.quantity) > max(r.capacity)
) AS over
"""


def availability_request(shop: Shop, day: str) -> load.RequestMaker:
    request = load.get(
        f"/api/public/booking/organisations/{shop.slug}/availability?date={day}&resourceTypeId={shop.type_id}",
        HOST,
    )
    return lambda _: request


def calendar_request(shop: Shop, first: str, last: str) -> load.RequestMaker:
    request = load.get(
        f"/api/public/booking/organisations/{shop.slug}/calendar"
        f"?resourceTypeId={shop.type_id}&from={first}&to={last}",
        HOST,
    )
    return lambda _: request


def reserve_request(shop: Shop, starts: list[datetime]) -> load.RequestMaker:
    path = f"/api/public/booking/organisations/{shop.slug}/reserve"

    def make(i: int) -> bytes:
        start = starts[i % len(starts)]
        body = {
            "resourceTypeId": shop.type_id,
            "startTime": start.isoformat(),
            "endTime": (start + timedelta(hours=1)).isoformat(),
            "customerName": "Bench Customer",
            "customerEmail": "bench@example.com",
            "customerPhone": "+1 555 0100",
        }
        return load.post_json(path, HOST, json.dumps(body).encode())

    return make


DRIVER = wrk.available()  # wrk when installed (make bench installs it where it may), else bench.load


def measure(
    name: str,
    server: BenchServer,
    make: load.RequestMaker,
    concurrency: int,
    seconds: float,
    distinct: int = 1,
) -> Any:
    """`distinct`: how many different requests `make` makes (wrk cycles through them). The server's own CPU
    time per request is measured beside: what the server process spends, apart from PostgreSQL and the load."""
    port, cpu = server.port, server.cpu_seconds()
    if DRIVER is not None:
        result: Any = wrk.run(name, HOST, port, make, concurrency, seconds, distinct)
    else:
        result = asyncio.run(load.run(name, HOST, port, make, concurrency, duration=seconds))
    result.server_cpu_ms = round((server.cpu_seconds() - cpu) * 1000 / max(1, result.count), 3)
    print(
        f"  {name:<34} c={concurrency:<3} {result.throughput:8.1f} req/s  p50 {result.p50:7.2f} ms  "
        f"p99 {result.p99:7.2f} ms  server CPU {result.server_cpu_ms:.3f} ms/req  statuses {dict(result.statuses)}",
        flush=True,
    )
    return result


def database_floor(url: str, concurrency: int, seconds: float) -> dict[str, float]:
    """Bare asyncpg round trips (SELECT 1), no HTTP: what one trip to PostgreSQL costs by itself."""

    async def go() -> tuple[int, list[float], float]:
        conns = [await asyncpg.connect(url) for _ in range(concurrency)]
        latencies: list[float] = []
        began = time.perf_counter()
        stop = began + seconds

        async def loop(conn: asyncpg.Connection) -> None:
            while time.perf_counter() < stop:
                t = time.perf_counter()
                await conn.fetchval("SELECT 1")
                latencies.append(time.perf_counter() - t)

        try:
            await asyncio.gather(*(loop(c) for c in conns))
        finally:
            for c in conns:
                await c.close()
        return len(latencies), latencies, time.perf_counter() - began

    count, latencies, elapsed = asyncio.run(go())
    latencies.sort()
    figure = {
        "throughput": round(count / elapsed, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 3),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 3),
    }
    print(
        f"  floor asyncpg SELECT 1 (no HTTP)    c={concurrency:<3} {figure['throughput']:8.1f} trips/s  p50 {figure['p50_ms']} ms",
        flush=True,
    )
    return figure


def count_overbooked(url: str) -> int:
    async def go() -> int:
        conn = await asyncpg.connect(url)
        try:
            return int(await conn.fetchval(OVERBOOKED_SQL))
        finally:
            await conn.close()

    return asyncio.run(go())


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--workers", type=int, default=1, help="booking serve --workers")
    parser.add_argument("--seconds", type=float, default=6.0, help="length of each measured phase")
    parser.add_argument("--history", type=int, default=50_000)
    parser.add_argument("--future", type=int, default=2_000)
    parser.add_argument("--out", default=None, help="write the results as JSON here")
    args = parser.parse_args()
    seconds = args.seconds

    url = fresh_database()
    server = BenchServer(url, workers=args.workers)
    report: dict[str, object] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "database": "PostgreSQL " + server.postgres_version(),
        "load_generator": wrk.version(DRIVER) if DRIVER else "python (bench.load)",
    }
    print(f"Load generator: {report['load_generator']}", flush=True)
    try:
        print(
            f"Seeding: 20 resources, {args.history} past and {args.future} future reservations ...",
            flush=True,
        )
        began = time.perf_counter()
        shop = create_shop(server.url)
        add_history(url, shop, args.history)
        first_future = add_future(url, shop, args.future)
        print(f"  seeded in {time.perf_counter() - began:.1f} s", flush=True)
        day = (first_future + timedelta(days=2)).date().isoformat()  # a day with future bookings on it

        print("Measuring:", flush=True)
        ready = load.get("/ready", HOST)
        ceiling = {
            c: measure("ceiling GET /ready (1 round trip)", server, lambda _: ready, c, seconds)
            for c in (1, 32)
        }
        # The floors under the ceiling: an HTTP answer without the database, a round trip without HTTP.
        health = load.get("/health", HOST)
        floor_http = {
            c: measure("floor GET /health (no database)", server, lambda _: health, c, seconds)
            for c in (1, 32)
        }
        floor_db = {c: database_floor(url, c, seconds) for c in (1, 32)}
        avail = {
            c: measure("public availability", server, availability_request(shop, day), c, seconds)
            for c in (1, 32)
        }
        month_end = (first_future + timedelta(days=31)).date().isoformat()  # 30 days of 24 slots each
        month = calendar_request(shop, first_future.date().isoformat(), month_end)
        calendar = {c: measure("public calendar, a month", server, month, c, seconds) for c in (1, 32)}

        base = (datetime.now(UTC) + timedelta(days=150)).replace(minute=0, second=0, microsecond=0)
        hours = [base + timedelta(hours=h) for h in range(24 * 210)]  # up to 360 days ahead (365 allowed)
        starts = hours + hours  # then each hour again: 2 of its 20 resources, never 2 requests at once
        reserve = measure(
            "public reserve (distinct free slots)",
            server,
            reserve_request(shop, starts),
            32,
            seconds,
            distinct=len(starts),
        )
        used = reserve.count
        assert used < len(starts), "not enough distinct slots for the reserve phase"
        # One capacity-1 resource, its consecutive hours: the case a per-resource-and-day lock would serialise.
        single = create_shop(server.url, resources=1)
        reserve_one = measure(
            "public reserve, 1 resource, next hours",
            server,
            reserve_request(single, hours),
            32,
            seconds,
            distinct=len(hours),
        )
        assert reserve_one.count < len(hours), "not enough distinct hours for the one-resource phase"

        race_start = base - timedelta(days=5)
        with httpx.Client(
            base_url=server.url,
            headers={"Authorization": f"Bearer {shop.token}", "X-Organisation-Id": str(shop.organisation_id)},
        ) as staff:
            for rid in shop.resource_ids[:-1]:
                staff.post(
                    "/api/reservations",
                    json={
                        "resourceId": rid,
                        "startTime": race_start.isoformat(),
                        "endTime": (race_start + timedelta(hours=1)).isoformat(),
                    },
                ).raise_for_status()
        race = asyncio.run(
            load.run(
                "race",
                HOST,
                server.port,
                reserve_request(shop, [race_start]),
                200,
                total=200,
                start_together=True,
            )
        )
        winners = race.statuses.get(201, 0)
        print(
            f"  race: 200 clients for the last unit -> {winners} x 201, {race.statuses.get(409, 0)} x 409, "
            f"all answered in {race.elapsed * 1000:.0f} ms",
            flush=True,
        )

        print("Growth: the same availability with 1,000 and with 100,000 past reservations", flush=True)
        small_shop, large_shop = create_shop(server.url), create_shop(server.url)
        add_history(url, small_shop, 1_000)
        add_history(url, large_shop, 100_000)
        # Alternate the two, three rounds each, so that machine noise falls on both alike.
        rounds: dict[str, list[load.Result]] = {"small": [], "large": []}
        for _ in range(3):
            for name, which in (("small", small_shop), ("large", large_shop)):
                label = f"availability, {which.history:,} past"
                rounds[name].append(measure(label, server, availability_request(which, day), 1, seconds / 2))
        small = sorted(rounds["small"], key=lambda r: r.p50)[1]  # the median round of each
        large = sorted(rounds["large"], key=lambda r: r.p50)[1]

        print("Adversarial availability (defect 9): 4 in flight, and everyone else meanwhile", flush=True)
        attacker = adversarial.create_adversary(server.url, url)
        victims = {
            "GET /health": lambda _: load.get("/health", HOST),
            "another tenant's availability": availability_request(shop, day),
        }
        calm = asyncio.run(adversarial.quietly(HOST, server.port, victims, seconds))
        attack, hit = asyncio.run(
            adversarial.under_attack(
                HOST, server.port, adversarial.adversarial_request(attacker, HOST), victims, seconds
            )
        )
        for name in victims:
            print(
                f"  {name}: p50 {calm[name].p50:.2f} -> {hit[name].p50:.2f} ms, "
                f"p99 {calm[name].p99:.2f} -> {hit[name].p99:.2f} ms under attack",
                flush=True,
            )
        print(
            f"  adversarial availability: p50 {attack.p50:.2f} ms, p99 {attack.p99:.2f} ms, {dict(attack.statuses)}",
            flush=True,
        )

        overbooked = count_overbooked(url)
        print(f"Overbooked (resource, instant) pairs in the whole database: {overbooked}", flush=True)
    finally:
        server.stop()

    def row(r: load.Result, ref: load.Result | None) -> dict[str, object]:
        return {
            "throughput": round(r.throughput, 1),
            "p50_ms": round(r.p50, 2),
            "p99_ms": round(r.p99, 2),
            "requests": r.count,
            "statuses": dict(r.statuses),
            "ratio_of_ceiling": round(r.throughput / ref.throughput, 3) if ref else None,
            "server_cpu_ms_per_request": getattr(r, "server_cpu_ms", None),
        }

    report.update(
        {
            "ceiling": {c: row(r, None) for c, r in ceiling.items()},
            "floor_http_no_database": {c: row(r, ceiling[c]) for c, r in floor_http.items()},
            "floor_database_round_trip": floor_db,
            "availability": {c: row(r, ceiling[c]) for c, r in avail.items()},
            "calendar_month": {c: row(r, ceiling[c]) for c, r in calendar.items()},
            "reserve_c32": row(reserve, ceiling[32]),
            "reserve_one_resource_c32": row(reserve_one, ceiling[32]),
            "race": {
                "clients": 200,
                "successes": winners,
                "conflicts": race.statuses.get(409, 0),
                "other": {k: v for k, v in race.statuses.items() if k not in (201, 409)},
                "duration_ms": round(race.elapsed * 1000, 1),
            },
            "growth": {
                "p50_1k_ms": round(small.p50, 3),
                "p50_100k_ms": round(large.p50, 3),
                "ratio": round(large.p50 / small.p50, 3),
                "throughput_1k": round(small.throughput, 1),
                "throughput_100k": round(large.throughput, 1),
            },
            "adversarial": {
                "request": row(attack, None),
                "victims": {
                    name: {"calm": row(calm[name], None), "under_attack": row(hit[name], None)}
                    for name in victims
                },
            },
            "overbooked": overbooked,
        }
    )
    print_table(report)
    out = Path(args.out) if args.out else RESULTS / f"bench-w{args.workers}-{secrets.token_hex(2)}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"\nWrote {out}")
    failed = winners != 1 or overbooked != 0
    raise SystemExit(1 if failed else 0)


def print_table(report: dict[str, object]) -> None:
    def line(label: str, f: dict[str, Any], ratio: str | None = None) -> None:
        share = ratio if ratio is not None else f"{f['ratio_of_ceiling'] * 100:.0f} %"
        cpu = f.get("server_cpu_ms_per_request")
        print(
            f"| {label} | {f['throughput']} | {f['p50_ms']} | {f['p99_ms']} | {share} | {'' if cpu is None else cpu} |"
        )

    r: Any = report
    print(
        f"\n| measurement ({r['workers']} worker(s), {r['cpus']} CPUs, {r['database']}) | req/s | p50 ms | p99 ms"
        " | of ceiling | server CPU ms/req |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for conc in (1, 32):
        line(f"ceiling: GET /ready, c={conc}", r["ceiling"][conc], "100 %")
    for conc in (1, 32):
        line(f"floor: GET /health (no database), c={conc}", r["floor_http_no_database"][conc])
        line(f"floor: asyncpg SELECT 1 (no HTTP), c={conc}", r["floor_database_round_trip"][conc], "")
    for conc in (1, 32):
        line(f"public availability, c={conc}", r["availability"][conc])
    for conc in (1, 32):
        line(f"public calendar, 31 days, c={conc}", r["calendar_month"][conc])
    line("public reserve, distinct slots, c=32", r["reserve_c32"])
    line("public reserve, one capacity-1 resource, consecutive hours, c=32", r["reserve_one_resource_c32"])
    race, g, adv = r["race"], r["growth"], r["adversarial"]
    print(
        f"| race: 200 clients, last unit | {race['successes']} success | | {race['duration_ms']} ms total | | |"
    )
    print(
        f"| growth: availability p50, 1k vs 100k past | | {g['p50_1k_ms']} / {g['p50_100k_ms']} | ratio {g['ratio']} | | |"
    )
    line("adversarial availability (721 slots, 3,500 bookings), 4 in flight", adv["request"], "")
    for name, v in adv["victims"].items():
        print(
            f"| {name}, calm / under attack | | {v['calm']['p50_ms']} / {v['under_attack']['p50_ms']} | {v['calm']['p99_ms']} / {v['under_attack']['p99_ms']} | | |"
        )
    print(f"| overbooked instants | {r['overbooked']} | | | | |")


if __name__ == "__main__":
    main()
