#!/usr/bin/env python3
"""The workloads of bench/run.ts in CPython asyncio (or uvloop); prints JSON.

    python3 bench/asyncio_bench.py                       # CPython's own loop
    /usr/bin/python3 bench/asyncio_bench.py --uvloop     # uvloop
    python3 bench/asyncio_bench.py --rounds 3 --warmup 1 --scale 0.1 --only gather

Workloads (per round; the median and min per item over the rounds are
reported, after warm-up rounds that are thrown away):

- gather: asyncio.run(main) where main times
  ``await asyncio.gather(*[work() for _ in range(N)])`` with N = 100,000 and
  ``async def work(): await asyncio.sleep(0)``.
- call_soon: inside a running loop, ``loop.call_soon(cb)`` 1,000,000 times;
  times scheduling plus running them all (the last one resolves a future).
- call_later: ``loop.call_later(delay, cb, i)`` for 100,000 delays in
  [0, 0.1) s drawn from the same 32-bit LCG and seed as bench/_workloads.ts;
  checks that the callbacks ran in deadline order (``handle.when()``) and
  none early. Its cost is process CPU time, like bench/run.ts. uvloop
  rounds delays to whole milliseconds (its loop.time() and when() are
  millisecond-granular), so its order is checked against its own deadlines.

The garbage collector is run (outside the timings) between rounds.
"""

import argparse
import asyncio
import gc
import json
import platform
import sys
import time
from datetime import datetime, timezone
from statistics import median

WORKLOADS = ["gather", "call_soon", "call_later"]


def lcg_delays(n, max_seconds=0.1, seed=12345):
    """The same sequence as lcgDelays() in bench/_workloads.ts."""
    out = [0.0] * n
    x = seed & 0xFFFFFFFF
    for i in range(n):
        x = (1664525 * x + 1013904223) & 0xFFFFFFFF
        out[i] = (x / 4294967296) * max_seconds
    return out


async def work():
    await asyncio.sleep(0)


async def gather_sleep0(n):
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    results = await asyncio.gather(*[work() for _ in range(n)])
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    assert len(results) == n
    return {"wall": wall, "cpu": cpu}


async def call_soon_callbacks(n):
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    count = 0

    def cb():
        nonlocal count
        count += 1
        if count == n:
            done.set_result(None)

    cpu0 = time.process_time()
    t0 = time.perf_counter()
    for _ in range(n):
        loop.call_soon(cb)
    await done
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    assert count == n
    return {"wall": wall, "cpu": cpu}


async def call_later_timers(delays):
    n = len(delays)
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    whens = [0.0] * n
    resolution = getattr(loop, "_clock_resolution", 0.0)
    state = {"fired": 0, "out_of_order": 0, "early": 0, "max_when": float("-inf"), "max_late": 0.0}

    def cb(i):
        when = whens[i]
        now = loop.time()
        if when < state["max_when"]:
            state["out_of_order"] += 1
        else:
            state["max_when"] = when
        # CPython runs timers due within the clock's resolution.
        if now + resolution < when:
            state["early"] += 1
        elif now - when > state["max_late"]:
            state["max_late"] = now - when
        state["fired"] += 1
        if state["fired"] == n:
            done.set_result(None)

    call_later = loop.call_later
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    for i in range(n):
        handle = call_later(delays[i], cb, i)
        try:
            whens[i] = handle.when()
        except AttributeError:
            # uvloop rounds delays to whole milliseconds and turns one that
            # rounds to 0 into call_soon (a Handle without when()).
            whens[i] = loop.time()
    schedule = time.perf_counter() - t0
    await done
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    return {
        "wall": wall,
        "cpu": cpu,
        "schedule": schedule,
        "fired": state["fired"],
        "out_of_order": state["out_of_order"],
        "early": state["early"],
        "max_late_ms": state["max_late"] * 1000,
    }


def summarize(name, samples, n, metric):
    per_item = lambda s: s * 1e6 / n  # noqa: E731
    primary = [per_item(s[metric]) for s in samples]
    stats = {
        "name": name,
        "median_us": median(primary),
        "min_us": min(primary),
        "max_us": max(primary),
        "samples_us": primary,
        "wall_median_us": median(per_item(s["wall"]) for s in samples),
        "cpu_median_us": median(per_item(s["cpu"]) for s in samples),
    }
    if samples and "fired" in samples[0]:
        stats["schedule_median_us"] = median(per_item(s["schedule"]) for s in samples)
        stats["fired_min"] = min(s["fired"] for s in samples)
        stats["out_of_order_total"] = sum(s["out_of_order"] for s in samples)
        stats["early_total"] = sum(s["early"] for s in samples)
        stats["max_late_ms"] = max(s["max_late_ms"] for s in samples)
    return stats


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--only", default=",".join(WORKLOADS))
    parser.add_argument("--json", action="store_true", help="accepted; output is always JSON")
    parser.add_argument("--timeout", type=float, default=None, help="accepted and ignored")
    args = parser.parse_args()
    only = [w for w in args.only.split(",") if w]
    for w in only:
        if w not in WORKLOADS:
            parser.error(f"unknown workload {w!r}; choose from {', '.join(WORKLOADS)}")

    runtime = {
        "name": "uvloop" if args.uvloop else "cpython",
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
    }
    if args.uvloop:
        import uvloop

        loop_factory = uvloop.new_event_loop
        runtime["uvloop"] = uvloop.__version__
    else:
        loop_factory = None

    def run(coro):
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            return runner.run(coro)

    n_tasks = max(1, round(100_000 * args.scale))
    n_callbacks = max(1, round(1_000_000 * args.scale))
    n_timers = max(1, round(100_000 * args.scale))
    delays = lcg_delays(n_timers, 0.1)
    specs = [
        ("gather", "gather of tasks that await sleep(0)", n_tasks, "task", "wall",
         "asyncio.gather(*[work() for _ in range(N)]), each await asyncio.sleep(0)",
         lambda: gather_sleep0(n_tasks)),
        ("call_soon", "loop.call_soon(cb), all run", n_callbacks, "callback", "wall",
         "loop.call_soon(cb) inside a running loop",
         lambda: call_soon_callbacks(n_callbacks)),
        ("call_later", "loop.call_later(0-100 ms random, cb), all fire (CPU time)", n_timers,
         "timer", "cpu", "loop.call_later(delay, cb, i)",
         lambda: call_later_timers(delays)),
    ]

    report = {
        "runtime": runtime,
        "date": datetime.now(timezone.utc).isoformat(),
        "rounds": args.rounds,
        "warmup": args.warmup,
        "workloads": {},
    }
    tag = runtime["name"]
    for key, title, n, unit, metric, name, make in specs:
        if key not in only:
            continue
        samples = []
        for r in range(args.warmup + args.rounds):
            gc.collect()
            s = run(make())
            if r >= args.warmup:
                samples.append(s)
        stats = summarize(name, samples, n, metric)
        report["workloads"][key] = {
            "title": title, "n": n, "unit": unit, "metric": metric, "result": stats,
        }
        print(f"[{tag}] {key}: {stats['median_us']:.3f} us/{unit} ({metric}, median)",
              file=sys.stderr)
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
