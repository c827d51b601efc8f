#!/usr/bin/env python3
"""The workloads of bench/executor/bench.ts in CPython (threads); prints JSON.

    python3 bench/executor/bench.py
    python3 bench/executor/bench.py --only throughput --rounds 11

Sections (``--only throughput,cpu,startup,memory``), the same shape of JSON
as ``deno run -A bench/executor/bench.ts --json``:

- throughput: ``--jobs`` (10,000) jobs ``add(i, 1)``: in each round a fresh
  ``asyncio.Runner`` whose loop gets ``set_default_executor(
  ThreadPoolExecutor(max_workers=2))``, warmed with 2,000 jobs (both threads
  started), then ``await asyncio.gather(*[asyncio.to_thread(add, i, 1) for i
  in range(N)])`` timed; also ``loop.run_in_executor(pool, add, i, 1)`` on a
  warm 2-thread pool kept across rounds, and plain
  ``concurrent.futures.wait`` of ``pool.submit(add, i, 1)`` without asyncio.
  Metric: jobs per second, median over ``--rounds`` after ``--warmup``.
- cpu: 8 jobs ``fib(n)`` (``--py-fib-n``, 34: about 0.5 s each here) one
  after another on the main thread, then ``gather`` of 8 ``to_thread`` on a
  2-thread default executor; speedup per round (``--cpu-rounds``, 5, after
  one warm-up round). The GIL allows none: it is here for the record.
- startup: milliseconds from ``ThreadPoolExecutor(max_workers=1)`` and
  ``submit(noop)`` to its result, and from ``threading.Thread(...).start()``
  to the thread's first action.
- memory: growth of the process's resident set (``/proc/self/statm``) from
  before to 0.5 s after starting 8 idle threads in a
  ``ThreadPoolExecutor(max_workers=8)``, divided by 8, each round in a fresh
  child process (``--memory-rounds``, 5).
"""

import argparse
import asyncio
import concurrent.futures
import json
import os
import platform
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from statistics import median

SECTIONS = ["throughput", "cpu", "startup", "memory"]
WORKERS = 2
CPU_JOBS = 8
MEMORY_WORKERS = 8


def add(a, b):
    return a + b


def noop():
    pass


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def fib_value(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def progress(message):
    print(f"[cpython executor] {message}", file=sys.stderr)


def stat(name, unit, samples):
    return {
        "name": name,
        "unit": unit,
        "median": median(samples),
        "min": min(samples),
        "max": max(samples),
        "samples": samples,
    }


def expected_sum(n):
    return n * (n - 1) // 2 + n


# ------------------------------------------------------------- throughput

def to_thread_round(n):
    async def main():
        loop = asyncio.get_running_loop()
        loop.set_default_executor(concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS))
        await asyncio.gather(*[asyncio.to_thread(add, i, 1) for i in range(2_000)])
        t0 = time.perf_counter()
        results = await asyncio.gather(*[asyncio.to_thread(add, i, 1) for i in range(n)])
        seconds = time.perf_counter() - t0
        assert sum(results) == expected_sum(n)
        return seconds

    with asyncio.Runner() as runner:
        return runner.run(main())


def run_in_executor_round(pool, n):
    async def main():
        loop = asyncio.get_running_loop()
        t0 = time.perf_counter()
        results = await asyncio.gather(*[loop.run_in_executor(pool, add, i, 1) for i in range(n)])
        seconds = time.perf_counter() - t0
        assert sum(results) == expected_sum(n)
        return seconds

    with asyncio.Runner() as runner:
        return runner.run(main())


def submit_round(pool, n):
    t0 = time.perf_counter()
    futures = [pool.submit(add, i, 1) for i in range(n)]
    concurrent.futures.wait(futures)
    seconds = time.perf_counter() - t0
    assert sum(f.result() for f in futures) == expected_sum(n)
    return seconds


def throughput_section(args):
    n = args.jobs
    with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
        concurrent.futures.wait([pool.submit(add, i, 1) for i in range(2_000)])
        sides = [
            ("to_thread", "Runner: gather of asyncio.to_thread(add, i, 1), "
             "default executor ThreadPoolExecutor(max_workers=2)", lambda: to_thread_round(n)),
            ("run_in_executor", "Runner: gather of loop.run_in_executor(pool, add, i, 1), "
             "ThreadPoolExecutor(max_workers=2)", lambda: run_in_executor_round(pool, n)),
            ("cf_submit", "concurrent.futures.wait of pool.submit(add, i, 1), no asyncio, "
             "ThreadPoolExecutor(max_workers=2)", lambda: submit_round(pool, n)),
        ]
        samples = [[] for _ in sides]
        for r in range(args.warmup + args.rounds):
            for i, (_, _, round_) in enumerate(sides):
                seconds = round_()
                if r >= args.warmup:
                    samples[i].append(n / seconds)
    rows = {}
    for i, (key, name, _) in enumerate(sides):
        rows[key] = stat(name, "jobs/s", samples[i])
        progress(f"throughput {key}: {rows[key]['median']:.0f} jobs/s")
    return {"jobs": n, "workers": WORKERS, "rounds": args.rounds, "rows": rows}


# -------------------------------------------------------------------- cpu

def cpu_section(args):
    n = args.py_fib_n
    expected = fib_value(n)
    sequential, pooled, speedup = [], [], []

    async def parallel():
        loop = asyncio.get_running_loop()
        loop.set_default_executor(concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS))
        await asyncio.gather(asyncio.to_thread(fib, 10), asyncio.to_thread(fib, 10))
        t0 = time.perf_counter()
        results = await asyncio.gather(*[asyncio.to_thread(fib, n) for _ in range(CPU_JOBS)])
        seconds = time.perf_counter() - t0
        assert all(v == expected for v in results)
        return seconds

    for r in range(1 + args.cpu_rounds):
        t0 = time.perf_counter()
        for _ in range(CPU_JOBS):
            assert fib(n) == expected
        seq = time.perf_counter() - t0
        with asyncio.Runner() as runner:
            par = runner.run(parallel())
        progress(f"cpu round {r + 1}/{1 + args.cpu_rounds}{' (warm-up)' if r == 0 else ''}: "
                 f"sequential {seq:.2f} s, threads {par:.2f} s")
        if r == 0:
            continue
        sequential.append(seq)
        pooled.append(par)
        speedup.append(seq / par)
    return {
        "jobs": CPU_JOBS,
        "fib_n": n,
        "workers": WORKERS,
        "rounds": args.cpu_rounds,
        "rows": {
            "job": stat(f"fib({n}) once on the main thread", "s",
                        [s / CPU_JOBS for s in sequential]),
            "sequential": stat(f"{CPU_JOBS} x fib({n}) one after another on the main thread",
                               "s", sequential),
            "pool": stat(f"gather of {CPU_JOBS} asyncio.to_thread(fib, {n}), 2 threads", "s",
                         pooled),
            "speedup": stat("sequential / threads, per round", "x", speedup),
        },
    }


# ---------------------------------------------------------------- startup

def pool_startup():
    t0 = time.perf_counter()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    pool.submit(noop).result()
    ms = (time.perf_counter() - t0) * 1000
    pool.shutdown(wait=True)
    return ms


def thread_startup():
    started = threading.Event()
    t0 = time.perf_counter()
    thread = threading.Thread(target=started.set)
    thread.start()
    started.wait()
    ms = (time.perf_counter() - t0) * 1000
    thread.join()
    return ms


def startup_section(args):
    sides = [
        ("pool", "ThreadPoolExecutor(max_workers=1), submit(noop) to its result", pool_startup),
        ("thread", "threading.Thread(target=event.set).start() to the event", thread_startup),
    ]
    samples = [[] for _ in sides]
    for r in range(args.warmup + args.rounds):
        for i, (_, _, round_) in enumerate(sides):
            ms = round_()
            if r >= args.warmup:
                samples[i].append(ms)
    rows = {}
    for i, (key, name, _) in enumerate(sides):
        rows[key] = stat(name, "ms", samples[i])
        progress(f"startup {key}: {rows[key]['median']:.3f} ms")
    return {"rounds": args.rounds, "rows": rows}


# ----------------------------------------------------------------- memory

def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def memory_probe():
    """One memory round in this process: RSS growth per idle thread."""
    time.sleep(0.3)
    rss0 = rss_bytes()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=MEMORY_WORKERS)
    barrier = threading.Barrier(MEMORY_WORKERS)
    # Each job waits for all the others, so that every thread is started.
    concurrent.futures.wait([pool.submit(barrier.wait) for _ in range(MEMORY_WORKERS)])
    assert len(pool._threads) == MEMORY_WORKERS
    time.sleep(0.5)
    rss1 = rss_bytes()
    pool.shutdown(wait=True)
    return (rss1 - rss0) / MEMORY_WORKERS


def memory_section(args):
    samples = []
    for _ in range(args.memory_rounds):
        out = subprocess.run([sys.executable, os.path.abspath(__file__), "--memory-probe"],
                             check=True, capture_output=True, text=True, timeout=120).stdout
        samples.append(json.loads(out) / 1e6)
    rows = {"threads": stat(f"ThreadPoolExecutor(max_workers={MEMORY_WORKERS}), "
                            f"{MEMORY_WORKERS} threads started, then idle", "MB", samples)}
    progress(f"memory threads: {rows['threads']['median']:.3f} MB per idle thread")
    return {"workers": MEMORY_WORKERS, "rounds": args.memory_rounds, "rows": rows}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--py-fib-n", type=int, default=34)
    parser.add_argument("--fib-n", type=int, default=None,
                        help="V8's n (Deno, Node); accepted and ignored")
    parser.add_argument("--cpu-rounds", type=int, default=5)
    parser.add_argument("--memory-rounds", type=int, default=5)
    parser.add_argument("--only", default=",".join(SECTIONS))
    parser.add_argument("--json", action="store_true", help="accepted; output is always JSON")
    parser.add_argument("--memory-probe", action="store_true",
                        help="internal: one memory round; prints bytes per thread")
    args = parser.parse_args()
    if args.memory_probe:
        print(json.dumps(memory_probe()))
        return
    only = [s for s in args.only.split(",") if s]
    for s in only:
        if s not in SECTIONS:
            parser.error(f"unknown section {s!r}; choose from {', '.join(SECTIONS)}")
    report = {
        "runtime": {
            "name": "cpython",
            "version": platform.python_version(),
            "detail": f"{platform.python_implementation()} {sys.executable}",
            "cpus": os.cpu_count(),
        },
        "date": datetime.now(timezone.utc).isoformat(),
    }
    if "throughput" in only:
        report["throughput"] = throughput_section(args)
    if "cpu" in only:
        report["cpu"] = cpu_section(args)
    if "startup" in only:
        report["startup"] = startup_section(args)
    if "memory" in only:
        report["memory"] = memory_section(args)
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
