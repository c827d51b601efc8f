#!/usr/bin/env python3
"""The workloads of bench/streams/bench.ts in CPython asyncio streams (or uvloop); prints JSON.

    python3 bench/streams/bench.py                       # CPython's own loop
    /usr/bin/python3 bench/streams/bench.py --uvloop     # uvloop
    python3 bench/streams/bench.py --only echo --layout same --rounds 3 --seconds 2
    python3 bench/streams/bench.py --serve [--uvloop]    # a server only

Workloads (asyncio.start_server / asyncio.open_connection on 127.0.0.1):

- echo: 64 connections, each doing request/response with 1 KiB messages
  for --seconds per round: the client writes 1 KiB, awaits drain() and
  readexactly(1024) back; the server echoes with readexactly(1024), write,
  drain. Messages per second, all connections together.
- bulk_s2c: one connection; the server writes 1 GiB in 64 KiB chunks
  (write + drain) then closes; the client read(65536)s until EOF. MB/s
  (10^6 bytes per second), from the request to EOF.
- bulk_c2s: the reverse; the client writes, then write_eof(); the server
  reads until EOF and answers with the byte count, which ends the timing.

Layouts: same (server and client on one loop in this process) and split
(the server in a child ``bench.py --serve`` on the same kind of
loop). The protocol (a 16-byte header first) is the one of
bench/streams/bench.ts. Output: the JSON shape of bench.ts --json.
``echo_memory`` (Deno's echo over in-memory connections) has no Python
counterpart here: it is accepted in --only and skipped.
"""

import argparse
import asyncio
import gc
import json
import platform
import struct
import subprocess
import sys
import time
from datetime import datetime, timezone
from statistics import median

HOST = "127.0.0.1"
HEADER = 16
WORKLOADS = ["echo", "bulk_s2c", "bulk_c2s"]
# Deno-only workloads of bench/streams/bench.ts: accepted in --only, skipped.
DENO_ONLY = ["echo_memory"]
LAYOUTS = ["same", "split"]


def header(mode, size, count=0):
    return struct.pack("<cxxxId", mode, size, float(count))


def pattern(size):
    return bytes(((i * 31 + 7) & 255) for i in range(size))


HANDLERS = set()


async def handler(reader, writer):
    # Python 3.11's Server.wait_closed() does not wait for the handlers:
    # keep them, so that a round can wait for its own.
    task = asyncio.current_task()
    HANDLERS.add(task)
    task.add_done_callback(HANDLERS.discard)
    mode, size, count = struct.unpack("<cxxxId", await reader.readexactly(HEADER))
    if mode == b"E":
        while True:
            try:
                msg = await reader.readexactly(size)
            except asyncio.IncompleteReadError as e:
                if not e.partial:
                    break
                raise
            writer.write(msg)
            await writer.drain()
    elif mode == b"S":
        chunk = pattern(size)
        sent = 0
        while sent < count:
            writer.write(chunk)
            await writer.drain()
            sent += size
    elif mode == b"R":
        total = 0
        while True:
            block = await reader.read(size)
            if not block:
                break
            total += len(block)
        writer.write(struct.pack("<d", float(total)))
        await writer.drain()
    writer.close()
    await writer.wait_closed()


async def start_local():
    server = await asyncio.start_server(handler, HOST, 0)
    return server, server.sockets[0].getsockname()[1]


async def stop_local(server):
    server.close()
    await server.wait_closed()
    await asyncio.gather(*list(HANDLERS))


async def echo(port, o):
    loop = asyncio.get_running_loop()
    server = None
    if port is None:
        server, port = await start_local()

    async def connect():
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(header(b"E", o.size))
        await writer.drain()
        return reader, writer

    conns = await asyncio.gather(*[connect() for _ in range(o.conns)])
    stop = False
    counts = [0] * o.conns
    size = o.size

    async def client(i):
        reader, writer = conns[i]
        msg = bytearray(pattern(size))
        n = 0
        while not stop:
            tag = n & 255
            msg[0] = tag
            writer.write(msg)
            await writer.drain()
            back = await reader.readexactly(size)
            if back[0] != tag or back[-1] != msg[-1]:
                raise RuntimeError("echo: wrong bytes back")
            n += 1
        counts[i] = n

    def set_stop():
        nonlocal stop
        stop = True

    cpu0 = time.process_time()
    t0 = time.perf_counter()
    loop.call_later(o.seconds, set_stop)
    await asyncio.gather(*[client(i) for i in range(o.conns)])
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    for _, writer in conns:
        writer.close()
    for _, writer in conns:
        await writer.wait_closed()
    if server is not None:
        await stop_local(server)
    items = sum(counts)
    return items, wall, cpu * 1e6 / items


async def bulk(port, o, to_client):
    server = None
    if port is None:
        server, port = await start_local()
    reader, writer = await asyncio.open_connection(HOST, port)
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    got = 0
    if to_client:
        writer.write(header(b"S", o.chunk, o.bulk_bytes))
        await writer.drain()
        while True:
            block = await reader.read(o.chunk)
            if not block:
                break
            got += len(block)
    else:
        writer.write(header(b"R", o.chunk))
        chunk = pattern(o.chunk)
        sent = 0
        while sent < o.bulk_bytes:
            writer.write(chunk)
            await writer.drain()
            sent += o.chunk
        writer.write_eof()
        (got,) = struct.unpack("<d", await reader.readexactly(8))
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    if got != o.bulk_bytes:
        raise RuntimeError(f"bulk: {got} bytes arrived, not {o.bulk_bytes}")
    writer.close()
    await writer.wait_closed()
    if server is not None:
        await stop_local(server)
    return int(got), wall, cpu * 1e6 / (got / 1e6)


def loop_factory(use_uvloop):
    if use_uvloop:
        import uvloop

        return uvloop.new_event_loop
    return None


def serve(use_uvloop):
    async def main():
        server = await asyncio.start_server(handler, HOST, 0)
        print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
        async with server:
            await server.serve_forever()

    with asyncio.Runner(loop_factory=loop_factory(use_uvloop)) as runner:
        try:
            runner.run(main())
        except KeyboardInterrupt:
            pass


def spawn_server(use_uvloop):
    cmd = [sys.executable, __file__, "--serve"] + (["--uvloop"] if use_uvloop else [])
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    line = child.stdout.readline()
    if not line.startswith("PORT "):
        child.kill()
        raise RuntimeError("server child did not start")
    return child, int(line.split()[1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop")
    parser.add_argument("--serve", action="store_true", help="run a server only")
    parser.add_argument("--json", action="store_true", help="(always JSON)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=2.5)
    parser.add_argument("--conns", type=int, default=64)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--bulk-mib", type=float, default=1024)
    parser.add_argument("--chunk", type=int, default=65536)
    parser.add_argument("--only", default=",".join(WORKLOADS))
    parser.add_argument("--layout", default=",".join(LAYOUTS))
    parser.add_argument("--impl", default="", help="ignored (Deno's option)")
    o = parser.parse_args()
    o.bulk_bytes = int(o.bulk_mib * 1024 * 1024)
    if o.serve:
        serve(o.uvloop)
        return
    only = [w for w in o.only.split(",") if w]
    layouts = [x for x in o.layout.split(",") if x]
    if any(w not in WORKLOADS + DENO_ONLY for w in only) or any(
            x not in LAYOUTS for x in layouts):
        parser.error("unknown workload or layout")
    if o.bulk_bytes % o.chunk:
        parser.error("--bulk-mib must be a whole number of --chunk")

    impl = "uvloop" if o.uvloop else "cpython"
    runtime = {"name": impl, "python": platform.python_version()}
    if o.uvloop:
        import uvloop

        runtime["uvloop"] = uvloop.__version__

    def progress(msg):
        print(f"[{impl} streams] {msg}", file=sys.stderr, flush=True)

    child = port_split = None
    results = []
    try:
        if "split" in layouts and any(w in WORKLOADS for w in only):
            child, port_split = spawn_server(o.uvloop)
        for workload in WORKLOADS:
            if workload not in only:
                continue
            series = {x: [] for x in layouts}
            total = o.warmup + o.rounds
            for r in range(total):
                for layout in layouts:
                    port = port_split if layout == "split" else None
                    with asyncio.Runner(loop_factory=loop_factory(o.uvloop)) as runner:
                        if workload == "echo":
                            m = runner.run(echo(port, o))
                        else:
                            m = runner.run(bulk(port, o, workload == "bulk_s2c"))
                    gc.collect()
                    items, wall, _ = m
                    rate = items / wall if workload == "echo" else items / 1e6 / wall
                    unit = "msg/s" if workload == "echo" else "MB/s"
                    warm = " (warm-up)" if r < o.warmup else ""
                    progress(f"{workload} {layout} {impl} round {r + 1}/{total}{warm}: {rate:.0f} {unit}")
                    if r >= o.warmup:
                        series[layout].append(m)
            for layout, ms in series.items():
                if workload == "echo":
                    rates = [items / wall for items, wall, _ in ms]
                else:
                    rates = [items / 1e6 / wall for items, wall, _ in ms]
                med = median(rates)
                at = min(range(len(rates)), key=lambda i: abs(rates[i] - med))
                results.append(
                    {
                        "workload": workload,
                        "layout": layout,
                        "impl": impl,
                        "unit": "msg/s" if workload == "echo" else "MB/s",
                        "median": med,
                        "min": min(rates),
                        "max": max(rates),
                        "samples": rates,
                        "wall_s": median([w for _, w, _ in ms]),
                        "cpu_us": median([c for _, _, c in ms]),
                        "items": ms[at][0],
                    }
                )
    finally:
        if child is not None:
            child.terminate()
            child.wait()
    report = {
        "runtime": runtime,
        "date": datetime.now(timezone.utc).isoformat(),
        "rounds": o.rounds,
        "warmup": o.warmup,
        "seconds": o.seconds,
        "conns": o.conns,
        "size": o.size,
        "bulk_bytes": o.bulk_bytes,
        "chunk": o.chunk,
        "results": results,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
