#!/usr/bin/env python3
"""The workloads of bench/core/bench.ts in CPython asyncio (or uvloop); prints JSON.

    python3 bench/core/bench.py                       # CPython's own loop
    /usr/bin/python3 bench/core/bench.py --uvloop     # uvloop
    python3 bench/core/bench.py --rounds 3 --warmup 1 --scale 0.1 --only gather
    python3 bench/core/bench.py --cold 9 --only gather   # 9 fresh processes

Workloads (per round; the median and min per item over the rounds are
reported, after warm-up rounds that are thrown away):

- gather: asyncio.run(main) where main times
  ``await asyncio.gather(*[work() for _ in range(N)])`` with N = 100,000 and
  ``async def work(): await asyncio.sleep(0)``.
- call_soon: inside a running loop, ``loop.call_soon(cb)`` 1,000,000 times;
  times scheduling plus running them all (the last one resolves a future).
- call_later: ``loop.call_later(delay, cb, i)`` for 100,000 delays in
  [0, 0.1) s drawn from the same 32-bit LCG and seed as bench/core/_workloads.ts;
  checks that the callbacks ran in deadline order (``handle.when()``) and
  none early. Its cost is process CPU time, like bench/core/bench.ts. uvloop
  rounds delays to whole milliseconds (its loop.time() and when() are
  millisecond-granular), so its order is checked against its own deadlines.
- queue_pingpong: 100,000 round trips of an item between two tasks through
  two asyncio.Queues (main: ``await q1.put(i); await q2.get()``; echo task:
  ``await q2.put(await q1.get())``); per round trip, wall clock.
- lock_contention: ``asyncio.gather`` of 100 tasks, each 1,000 times
  ``async with lock: await asyncio.sleep(0)`` on one asyncio.Lock; per
  acquisition, wall clock.
- event_memory: 100,000 tasks that all ``await event.wait()`` on one
  asyncio.Event; the growth of tracemalloc's traced memory (after
  gc.collect()) from before they are created to when all of them wait, per
  task; then the event is set and all are awaited. Also, once per run, the
  resident-set growth of the first round in a fresh interpreter (a child
  ``--rss-probe`` process, without tracemalloc) as a cross-check.

The garbage collector is run (outside the timings) between rounds.

Cold: gather, queue_pingpong and lock_contention are also measured in
``--cold K`` (default 5) fresh interpreters (this script with
``--cold-probe KEY``), each timing only its first round, as bench/core/bench.ts
does for ours; ``--cold 0`` skips it. ``objects_per_task`` (a Deno heap
snapshot count) has no Python counterpart: it is accepted in ``--only`` and
skipped.
"""

import argparse
import asyncio
import gc
import json
import os
import platform
import subprocess
import sys
import time
import tracemalloc
from datetime import datetime, timezone
from statistics import median

WORKLOADS = [
    "gather",
    "call_soon",
    "call_later",
    "queue_pingpong",
    "lock_contention",
    "event_memory",
]
# Measured cold too (fresh processes), as in bench/core/bench.ts.
COLD_WORKLOADS = ["gather", "queue_pingpong", "lock_contention"]
# Deno-only workloads of bench/core/bench.ts: accepted in --only, not run here.
DENO_ONLY = ["objects_per_task"]
LOCK_TASKS = 100


def lcg_delays(n, max_seconds=0.1, seed=12345):
    """The same sequence as lcgDelays() in bench/core/_workloads.ts."""
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


async def queue_pingpong(n):
    q1 = asyncio.Queue()
    q2 = asyncio.Queue()

    async def echo():
        for _ in range(n):
            await q2.put(await q1.get())

    total = 0
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    echoer = asyncio.create_task(echo())
    for i in range(n):
        await q1.put(i)
        total += await q2.get()
    await echoer
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    assert total == n * (n - 1) // 2
    return {"wall": wall, "cpu": cpu}


async def lock_contention(tasks, each):
    lock = asyncio.Lock()
    state = {"inside": 0, "overlaps": 0, "count": 0}

    async def worker():
        for _ in range(each):
            async with lock:
                state["inside"] += 1
                if state["inside"] > 1:
                    state["overlaps"] += 1
                await asyncio.sleep(0)
                state["inside"] -= 1
                state["count"] += 1

    cpu0 = time.process_time()
    t0 = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(tasks)])
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    assert state["count"] == tasks * each and state["overlaps"] == 0
    assert not lock.locked()
    return {"wall": wall, "cpu": cpu}


def rss_bytes():
    """Resident set size from /proc/self/statm (Linux), or None."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


async def event_wait_memory(n, trace=True):
    """Tasks all waiting on one Event; tracemalloc growth (or, without
    trace, RSS growth only) while they wait."""
    event = asyncio.Event()
    started = 0

    async def waiter():
        nonlocal started
        started += 1
        await event.wait()

    tasks = [None] * n
    gc.collect()
    if trace:
        tracemalloc.start()
    heap0 = tracemalloc.get_traced_memory()[0] if trace else 0
    rss0 = rss_bytes()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    for i in range(n):
        tasks[i] = asyncio.create_task(waiter())
    await asyncio.sleep(0)  # every task runs up to its wait()
    t1 = time.perf_counter()
    assert started == n, f"only {started} of {n} tasks wait"
    gc.collect()
    heap1 = tracemalloc.get_traced_memory()[0] if trace else 0
    rss1 = rss_bytes()
    if trace:
        tracemalloc.stop()
    t2 = time.perf_counter()
    event.set()
    for task in tasks:
        await task
    wall = (t1 - t0) + (time.perf_counter() - t2)
    cpu = time.process_time() - cpu0
    return {
        "wall": wall,
        "cpu": cpu,
        "heap_bytes": heap1 - heap0,
        "rss_bytes": None if rss0 is None or rss1 is None else rss1 - rss0,
    }


def rss_probe(n, uvloop_on):
    """RSS growth per waiting task in the first round of a fresh
    interpreter (this script with --rss-probe), or None."""
    cmd = [sys.executable, os.path.abspath(__file__), "--rss-probe",
           "--scale", str(n / 100_000)]
    if uvloop_on:
        cmd.append("--uvloop")
    try:
        out = subprocess.run(cmd, check=True, capture_output=True, text=True,
                             timeout=600).stdout
        return json.loads(out)["rss_bytes_per_task"]
    except (OSError, subprocess.SubprocessError, ValueError, KeyError) as e:
        print(f"rss probe failed: {e}", file=sys.stderr)
        return None


def cold_probes(key, n_scale, k, uvloop_on):
    """The first round of `key` in each of `k` fresh interpreters (this
    script with --cold-probe), as samples."""
    cmd = [sys.executable, os.path.abspath(__file__), "--cold-probe", key,
           "--scale", str(n_scale)]
    if uvloop_on:
        cmd.append("--uvloop")
    samples = []
    for _ in range(k):
        out = subprocess.run(cmd, check=True, capture_output=True, text=True,
                             timeout=1800).stdout
        samples.append(json.loads(out))
    return samples


def summarize(name, samples, n, metric):
    per_item = lambda s: s * 1e6 / n  # noqa: E731
    primary = [per_item(s["wall" if metric == "bytes" else metric]) for s in samples]
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
    if samples and "heap_bytes" in samples[0]:
        per_task = [s["heap_bytes"] / n for s in samples]
        stats["median_bytes"] = median(per_task)
        stats["min_bytes"] = min(per_task)
        stats["max_bytes"] = max(per_task)
        stats["samples_bytes"] = per_task
        stats["bytes_method"] = "tracemalloc traced-memory growth after gc.collect()"
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
    parser.add_argument("--rss-probe", action="store_true",
                        help="internal: one event_memory round without tracemalloc; "
                             "prints the RSS growth per task")
    parser.add_argument("--cold", type=int, default=5,
                        help="fresh processes for the cold figures (0: none)")
    parser.add_argument("--cold-probe", default=None,
                        help="internal: one round of this workload; prints its sample")
    args = parser.parse_args()
    only = [w for w in args.only.split(",") if w]
    for w in only:
        if w not in WORKLOADS + DENO_ONLY:
            parser.error(f"unknown workload {w!r}; choose from {', '.join(WORKLOADS)}")
    if args.cold < 0:
        parser.error("--cold must be >= 0")

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
    n_trips = max(1, round(100_000 * args.scale))
    lock_each = max(1, round(1_000 * args.scale))
    n_waiters = max(1, round(100_000 * args.scale))
    if args.rss_probe:
        s = run(event_wait_memory(n_waiters, trace=False))
        rss = s["rss_bytes"]
        json.dump({"rss_bytes_per_task": None if rss is None else rss / n_waiters},
                  sys.stdout)
        print()
        return
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
        ("queue_pingpong", "round trips between two tasks through two Queues", n_trips,
         "round trip", "wall",
         "main: await q1.put(i); await q2.get() / echo task: await q2.put(await q1.get())",
         lambda: queue_pingpong(n_trips)),
        ("lock_contention",
         f"{LOCK_TASKS} tasks x {lock_each} acquisitions of one Lock, await sleep(0) inside",
         LOCK_TASKS * lock_each, "acquisition", "wall",
         "gather of tasks, each: async with lock: await asyncio.sleep(0)",
         lambda: lock_contention(LOCK_TASKS, lock_each)),
        ("event_memory", "memory per task waiting on one Event", n_waiters,
         "waiting task", "bytes",
         "create_task(waiter()) x N, each await event.wait()",
         lambda: event_wait_memory(n_waiters)),
    ]

    if args.cold_probe is not None:
        make = next((s[6] for s in specs if s[0] == args.cold_probe), None)
        if make is None or args.cold_probe not in COLD_WORKLOADS:
            parser.error(f"--cold-probe: one of {', '.join(COLD_WORKLOADS)}")
        gc.collect()
        json.dump(run(make()), sys.stdout)
        print()
        return

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
        if key == "event_memory":
            stats["rss_first_bytes"] = rss_probe(n, args.uvloop)
        report["workloads"][key] = {
            "title": title, "n": n, "unit": unit, "metric": metric, "result": stats,
        }
        if metric == "bytes":
            print(f"[{tag}] {key}: {stats['median_bytes']:.0f} bytes/{unit} (median)",
                  file=sys.stderr)
        else:
            print(f"[{tag}] {key}: {stats['median_us']:.3f} us/{unit} ({metric}, median)",
                  file=sys.stderr)
        if args.cold > 0 and key in COLD_WORKLOADS:
            cold = summarize(name, cold_probes(key, args.scale, args.cold, args.uvloop),
                             n, metric)
            report["workloads"][key]["cold"] = {"processes": args.cold, "result": cold}
            print(f"[{tag}] {key} cold ({args.cold} fresh processes): "
                  f"{cold['median_us']:.3f} us/{unit} (median)", file=sys.stderr)
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
