"""The load generator: a separate process that sends HTTP requests on loopback and reports latencies.

Reads a JSON spec on stdin, prints a JSON result on stdout. Three modes:

- ``loop``: ``concurrency`` clients each send the spec's requests round-robin, back to back, for
  ``duration`` seconds after ``warmup`` seconds (closed loop: a client sends its next request when the
  last one answered). Reports requests/s and p50/p95/p99 per label.
- ``once``: every request is sent exactly once, ``concurrency`` at a time, as fast as answers come back
  (the booking rush). Reports the same, plus every status.
- ``scripts``: each script is a list of requests sent in order by one client, starting at its own
  ``at`` offset in seconds (the deadline rush). Returns every request's wall-clock start, latency and status.

Requests never follow redirects and never share cookies: each carries its own ``Cookie`` header.
"""

import asyncio
import json
import sys
import time

import aiohttp


def percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def summarise(records: list[tuple], elapsed: float, ok_statuses: set[int]) -> dict:
    """records: (label, latency seconds, status)."""
    out = {}
    for label in sorted({r[0] for r in records}) + ["*"]:
        rows = [r for r in records if label == "*" or r[0] == label]
        latencies = sorted(r[1] * 1000 for r in rows)
        statuses: dict[str, int] = {}
        for r in rows:
            statuses[str(r[2])] = statuses.get(str(r[2]), 0) + 1
        out[label] = {
            "count": len(rows),
            "errors": sum(1 for r in rows if r[2] not in ok_statuses),
            "rps": len(rows) / elapsed if elapsed else 0.0,
            "p50_ms": percentile(latencies, 50),
            "p95_ms": percentile(latencies, 95),
            "p99_ms": percentile(latencies, 99),
            "statuses": statuses,
        }
    return out


CACHE_STATES: dict[str, int] = {}


async def send(session: aiohttp.ClientSession, base: str, req: dict) -> tuple[int, float, float]:
    """(status, wall-clock start, latency in seconds); status 0 for a connection error. Counts the
    X-Page-Cache answers (hit, miss, none) in CACHE_STATES."""
    headers = {"Host": "127.0.0.1", **req.get("headers", {})}
    if req.get("cookies"):
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in req["cookies"].items())
    wall = time.time()
    start = time.perf_counter()
    try:
        async with session.request(
            req.get("method", "GET"), base + req["path"], data=req.get("data"), headers=headers, allow_redirects=False
        ) as response:
            await response.read()
            status = response.status
            state = response.headers.get("X-Page-Cache", "none")
            CACHE_STATES[state] = CACHE_STATES.get(state, 0) + 1
    except (TimeoutError, aiohttp.ClientError, OSError):
        status = 0
    return status, wall, time.perf_counter() - start


async def run_loop(spec: dict, session: aiohttp.ClientSession) -> dict:
    requests = spec["requests"]
    records: list[tuple] = []
    warm_until = time.perf_counter() + spec.get("warmup", 1.0)
    stop_at = warm_until + spec["duration"]

    async def client(n: int):
        i = n
        while True:
            req = requests[i % len(requests)]
            i += 1
            status, _, latency = await send(session, spec["base"], req)
            now = time.perf_counter()
            if now >= stop_at:
                return
            if now - latency >= warm_until:
                records.append((req.get("label", req["path"]), latency, status))

    await asyncio.gather(*(client(n) for n in range(spec["concurrency"])))
    return {"summary": summarise(records, spec["duration"], set(spec.get("ok", [200])))}


async def run_once(spec: dict, session: aiohttp.ClientSession) -> dict:
    queue: asyncio.Queue = asyncio.Queue()
    for req in spec["requests"]:
        queue.put_nowait(req)
    records: list[tuple] = []

    async def client():
        while not queue.empty():
            req = queue.get_nowait()
            status, _, latency = await send(session, spec["base"], req)
            records.append((req.get("label", req["path"]), latency, status))

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(spec["concurrency"])))
    elapsed = time.perf_counter() - start
    return {"elapsed": elapsed, "summary": summarise(records, elapsed, set(spec.get("ok", [200])))}


async def run_scripts(spec: dict, session: aiohttp.ClientSession) -> dict:
    t0 = time.perf_counter()
    results: list[dict] = []

    async def script(item: dict):
        await asyncio.sleep(max(0.0, item["at"] - (time.perf_counter() - t0)))
        for req in item["requests"]:
            status, wall, latency = await send(session, spec["base"], req)
            results.append(
                {
                    "label": req.get("label", ""),
                    "who": item.get("who"),
                    "start": wall,
                    "latency_ms": latency * 1000,
                    "status": status,
                }
            )

    await asyncio.gather(*(script(item) for item in spec["scripts"]))
    return {"elapsed": time.perf_counter() - t0, "records": results}


async def main(spec: dict) -> dict:
    connector = aiohttp.TCPConnector(limit=spec.get("concurrency", 100) or 100, force_close=True)
    timeout = aiohttp.ClientTimeout(total=spec.get("timeout", 30))
    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False
    ) as session:
        mode = spec.get("mode", "loop")
        runner = {"loop": run_loop, "once": run_once, "scripts": run_scripts}[mode]
        return await runner(spec, session)


if __name__ == "__main__":
    result = asyncio.run(main(json.load(sys.stdin)))
    result["page_cache"] = CACHE_STATES
    json.dump(result, sys.stdout)
