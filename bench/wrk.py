"""wrk (a C load generator) as the bench's driver when it is installed: the same requests as bench.load
makes, handed to wrk through a Lua script (each thread its own share, so distinct requests stay distinct),
and its summary read back as a `load.Result`-like figure. The Python generator stays the fallback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench import load

THREADS = 2
SCRIPT = """
local requests = {%s}
local threads = {}
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  index = id
end
function request()
  local r = requests[(index %% #requests) + 1]
  index = index + %d
  return r
end
function done(summary, latency, requests_)
  io.write(string.format('\\n@@wrk@@{"requests":%%d,"duration_us":%%d,"non_ok":%%d,"errors":%%d,' ..
    '"p50_us":%%d,"p99_us":%%d}\\n', summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass
class WrkResult:
    name: str
    concurrency: int
    elapsed: float
    count: int
    p50: float
    p99: float
    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        return self.count / self.elapsed if self.elapsed else 0.0


def available() -> str | None:
    """The wrk binary, unless BENCH_LOAD=python asks for the Python generator."""
    if os.environ.get("BENCH_LOAD") == "python":
        return None
    return shutil.which("wrk")


def version(binary: str) -> str:
    done = subprocess.run([binary, "-v"], capture_output=True, text=True)
    return (done.stdout + done.stderr).splitlines()[0].strip() if (done.stdout + done.stderr) else "wrk"


def _lua_string(raw: bytes) -> str:
    return '"' + "".join(f"\\{b}" for b in raw) + '"'


def run(
    name: str, host: str, port: int, make: load.RequestMaker, concurrency: int, seconds: float, distinct: int
) -> WrkResult:
    """`distinct` requests made by `make(0..distinct-1)`, cycled by `concurrency` connections for `seconds`."""
    binary = available()
    assert binary is not None
    threads = min(THREADS, concurrency)
    body = ",".join(_lua_string(make(i)) for i in range(distinct))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(SCRIPT % (body, threads))
    try:
        done = subprocess.run(
            [
                binary,
                f"-t{threads}",
                f"-c{concurrency}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "10s",
                "-s",
                script.name,
                f"http://{host}:{port}/",
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
        )
    finally:
        Path(script.name).unlink(missing_ok=True)
    line = next((x for x in done.stdout.splitlines() if x.startswith("@@wrk@@")), None)
    if line is None:
        raise RuntimeError(f"wrk said nothing usable: {done.stdout[-500:]} {done.stderr[-500:]}")
    summary = json.loads(line.removeprefix("@@wrk@@"))
    statuses: Counter[int] = Counter({200: summary["requests"] - summary["non_ok"]})
    if summary["non_ok"]:
        statuses[0] = summary["non_ok"]  # wrk counts them, without saying which status
    return WrkResult(
        name,
        concurrency,
        summary["duration_us"] / 1e6,
        summary["requests"],
        summary["p50_us"] / 1000,
        summary["p99_us"] / 1000,
        statuses,
    )
