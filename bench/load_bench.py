"""The reference server under load: many event streams held open while chunks are fetched.

Run by hand (needs Debian's nghttp2-client and wrk: apt-get install nghttp2-client wrk):

    .venv/bin/python -m bench.load_bench [--duration 300] [--streams 200] [--mode h2,h1-tls]

For each mode, one server (one Hypercorn worker, as the harness runs it) holds
``--streams`` event streams (``/events``, a chunk event a second) for ``--duration``
seconds while an established load tool fetches a 97 KB chunk as fast as it can, 10
requests in flight: h2load over h2 (2 connections × 5 streams), wrk over HTTP/1.1 (10
connections). Printed per mode: streams held to the end and stream errors, events
received, chunk requests, failed ones, requests/s, latency p50/p99, the server's resident
memory at the start, each minute and the end, and /health's open_streams once the
clients have left (0: nothing leaked).

h2load --h1 cannot be used for HTTP/1.1: it takes the status code from llhttp's
reason-phrase callback, which never fires for Hypercorn's empty reason phrase ("HTTP/1.1
200 ", valid by RFC 9112 section 4), and counts every response as failed.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx

from playgate.fixtures.generate import ensure_media
from playgate.reports.table import aligned
from playgate.server.launcher import ServerProcess
from playgate.server.settings import Mode, settings_for

STREAMS_PER_CLIENT = 50  # h2: under the server's 100 concurrent streams per connection
H2LOAD_ROUND = 1800  # two connections, 900 requests each: under Hypercorn's 1,000 per connection
STREAM_PATH = "/events?chunks=1000&pace_ms=1000&hold_ms=0"


@dataclass
class StreamTally:
    held: int = 0  # streams still open when the soak ended
    errors: int = 0  # streams that failed or ended early
    events: int = 0


@dataclass
class ChunkLoad:
    requests: int
    failed: int
    per_second: float
    p50_ms: float | None
    p99_ms: float | None


async def sample_memory(pid: int, samples: list[float]) -> None:
    while True:
        await asyncio.sleep(60)
        samples.append(resident_mb(pid))


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


async def hold_streams(server: ServerProcess, count: int, seconds: float, tally: StreamTally) -> None:
    """``count`` event streams read until ``seconds`` have passed, then left."""
    http2 = server.settings.mode is Mode.H2
    per_client = STREAMS_PER_CLIENT if http2 else count
    context = server.client_ssl_context()
    clients = [
        httpx.AsyncClient(
            http2=http2,
            verify=context if context is not None else False,
            timeout=httpx.Timeout(10.0, read=30.0),
            limits=httpx.Limits(max_connections=None if not http2 else 1, max_keepalive_connections=0),
        )
        for _ in range(0, count, per_client)
    ]
    deadline = asyncio.get_running_loop().time() + seconds

    async def one(client: httpx.AsyncClient) -> None:
        try:
            async with client.stream("GET", server.base_url + STREAM_PATH) as response:
                if response.status_code != 200:
                    tally.errors += 1
                    return
                async for line in response.aiter_lines():
                    if line.startswith("event: chunk"):
                        tally.events += 1
                    if asyncio.get_running_loop().time() >= deadline:
                        tally.held += 1
                        return
            tally.errors += 1  # ended before the soak did
        except httpx.HTTPError:
            tally.errors += 1

    try:
        await asyncio.gather(*(one(clients[i // per_client]) for i in range(count)))
    finally:
        for client in clients:
            await client.aclose()


def fetch_chunks_h2(url: str, seconds: float) -> ChunkLoad:
    """h2load in rounds of fresh connections until ``seconds`` have passed.

    Hypercorn closes a connection after 1,000 requests (keep_alive_max_requests), as
    production servers do, and h2load does not reconnect: one ``-D 300`` run stops
    fetching after about 2,000 requests and idles for the rest of the duration. Each round
    stays under the cap (900 requests per connection).
    """
    total = failed = 0
    durations: list[float] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "requests.tsv"
        while time.monotonic() < started + seconds:
            command = ["h2load", "-n", str(H2LOAD_ROUND), "-c", "2", "-m", "5", f"--log-file={log}", url]
            output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
            match = re.search(r"requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed", output)
            if match is None:
                raise RuntimeError(f"h2load printed no request count: {output[-500:]}")
            total, failed = total + int(match[1]), failed + int(match[3])
            rows = [line.split("\t") for line in log.read_text().splitlines() if line]
            durations += [int(row[2]) / 1000 for row in rows if row[1] == "200"]
    elapsed = time.monotonic() - started
    return ChunkLoad(total, failed, total / elapsed, *percentiles(sorted(durations)))


def fetch_chunks_h1(url: str, seconds: float) -> ChunkLoad:
    command = ["wrk", "-d", f"{int(seconds)}s", "-c", "10", "-t", "2", "--latency", url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    total = int(re.search(r"(\d+) requests in", output)[1])  # type: ignore[index]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    failed = (int(errors[1]) if errors else 0) + (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0)
    latency = {p: _ms(v, unit) for p, v, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)$", output, re.M)}
    return ChunkLoad(total, failed, total / seconds, latency.get("50"), latency.get("99"))


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def percentiles(durations: list[float]) -> tuple[float | None, float | None]:
    if len(durations) < 2:
        return (durations[0], durations[0]) if durations else (None, None)
    cuts = statistics.quantiles(durations, n=100)
    return cuts[49], cuts[98]


def open_streams_settled(server: ServerProcess, polls: int = 200) -> object:
    """/health's open_streams once it reads 0, or its last reading after ``polls`` tries."""
    reading: object = None
    for _ in range(polls):
        reading = server.get_json("/health")["open_streams"]
        if reading == 0:
            break
    return reading


def soak(mode: Mode, streams: int, seconds: float) -> list[str]:
    with ServerProcess(settings_for(mode, ensure_media())) as server:
        assert server.pid is not None
        url = f"{server.base_url}/chunks/chunk-000.mp4"
        fetch_chunks_h1(url, 2) if mode is not Mode.H2 else fetch_chunks_h2(url, 2)  # warm up
        memory = [resident_mb(server.pid)]  # at the start, then each minute
        tally = StreamTally()
        started = time.monotonic()

        async def both() -> ChunkLoad:
            holding = asyncio.create_task(hold_streams(server, streams, seconds + 5, tally))
            await asyncio.sleep(3)  # the streams open before the chunk load starts
            fetch = fetch_chunks_h2 if mode is Mode.H2 else fetch_chunks_h1
            sampling = asyncio.create_task(sample_memory(server.pid, memory))
            load = await asyncio.to_thread(fetch, url, seconds)
            sampling.cancel()
            await holding
            return load

        load = asyncio.run(both())
        memory.append(resident_mb(server.pid))
        left_open = open_streams_settled(server)
        print(f"  {mode.value}: {time.monotonic() - started:.0f} s", flush=True)
    return [
        mode.value,
        f"{tally.held}/{streams}",
        str(tally.errors),
        str(tally.events),
        str(load.requests),
        str(load.failed),
        f"{load.per_second:.0f}",
        "-" if load.p50_ms is None else f"{load.p50_ms:.0f}",
        "-" if load.p99_ms is None else f"{load.p99_ms:.0f}",
        " ".join(f"{mb:.0f}" for mb in memory),
        str(left_open),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of load per mode")
    parser.add_argument("--streams", type=int, default=200, help="event streams held open")
    parser.add_argument("--mode", default="h2,h1-tls")
    args = parser.parse_args()
    for tool in ("h2load", "wrk"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed: apt-get install --no-install-recommends nghttp2-client wrk")
    modes = [Mode.parse(m) for m in args.mode.split(",")]
    header = ["mode", "streams held", "stream errors", "events", "chunk requests", "failed", "req/s"]
    rows = [header + ["p50 ms", "p99 ms", "server MB: start, each minute, end", "open after"]]
    for mode in modes:
        rows.append(soak(mode, args.streams, args.duration))
    print(f"\n{date.today()}: {args.duration:g} s per mode, {args.streams} event streams, one server process")
    print(aligned(rows))


if __name__ == "__main__":
    main()
