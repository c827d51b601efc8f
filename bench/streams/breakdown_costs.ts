/**
 * Where the streams workloads' time goes: the echo and the bulk transfer of
 * `bench.ts` (server and client in this process), next to stripped
 * versions that add one cost of ours at a time to the bare `Deno.Conn`
 * code. A diagnostic for whoever optimises the library, not a goal.
 *
 * ```sh
 * deno run -A bench/streams/breakdown_costs.ts
 * deno run -A bench/streams/breakdown_costs.ts --rounds 3 --seconds 1 --bulk-mib 256
 * ```
 *
 * Echo (64 connections, 1 KiB request/response, messages per second):
 * - `bare`: `conn.write` / `conn.read` loops (the baseline of the goal).
 * - `pump, promise wake`: each connection keeps one `conn.read` pending
 *   (into a 64 KiB buffer appended to a per-connection buffer) and wakes
 *   the reading function with a plain promise; messages are views of that
 *   buffer, writes are awaited `conn.write`s. No loop, no copies.
 * - `pump, loop-future wake`: the same, run as tasks in `run()`, the reader
 *   waiting on a loop `Future` (how a `StreamReader` waits).
 * - `... + 2 copies per side`: and each side also makes the two copies
 *   ours makes per message: `data.slice()` in `write()` and `slice()` in
 *   `readexactly()`.
 * - `ours`: `startServer` / `openConnection` streams.
 *
 * Bulk (1 GiB server to client in 64 KiB chunks, MB/s):
 * - `bare`: the client reads into one reused 64 KiB buffer.
 * - `bare, write copied first`: the server copies each chunk into a
 *   reused staging buffer before writing it (the copy `write()` has to
 *   make, since the caller may change its array afterwards).
 * - `bare, reads into fresh memory`: the client reads into new memory
 *   (1 MiB arrays, 64 KiB at a time), as any `read()` that hands out
 *   arrays the caller keeps must.
 * - `ours`: `write` + `drain` / `read(65536)` streams.
 *
 * Then the cost of one `slice()` of 1 KiB and of 64 KiB (a fresh
 * ArrayBuffer) against `set()` into a reused array.
 *
 * @module
 */
import { type Future, gather, getRunningLoop, run } from "../../mod.ts";
import {
  bareBulk,
  bareEcho,
  type Measure,
  oursBulk,
  oursEcho,
  parseArgs,
  writeAll,
} from "./bench.ts";

const HOST = "127.0.0.1";

interface Args {
  rounds: number;
  warmup: number;
  seconds: number;
  bulkMib: number;
}

function args(argv: string[]): Args {
  const a: Args = { rounds: 5, warmup: 1, seconds: 2, bulkMib: 1024 };
  for (let i = 0; i < argv.length; i++) {
    const v = Number(argv[i + 1]);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`bad ${argv[i]}`);
    if (argv[i] === "--rounds") a.rounds = Math.floor(v);
    else if (argv[i] === "--warmup") a.warmup = Math.floor(v);
    else if (argv[i] === "--seconds") a.seconds = v;
    else if (argv[i] === "--bulk-mib") a.bulkMib = v;
    else throw new Error(`unknown argument ${argv[i]}`);
    i++;
  }
  return a;
}

// ------------------------------------------------------- pumped echo

/** How a pumped reader waits for data. */
type Wake = "promise" | "future";

/**
 * A connection with one read always pending, its bytes appended to a
 * buffer; `readexactly` hands out views (or, with `copy`, copies).
 */
class Pumped {
  #buf = new Uint8Array(1 << 16);
  #start = 0;
  #end = 0;
  #eof = false;
  #resolve: (() => void) | null = null;
  #future: Future<void> | null = null;

  constructor(
    readonly conn: Deno.Conn,
    readonly wake: Wake,
    readonly copy: boolean,
  ) {
    this.#pump();
  }

  async #pump(): Promise<void> {
    const chunk = new Uint8Array(1 << 16);
    try {
      for (;;) {
        const n = await this.conn.read(chunk);
        if (n === null) break;
        if (this.#end + n > this.#buf.length) {
          this.#buf.copyWithin(0, this.#start, this.#end);
          this.#end -= this.#start;
          this.#start = 0;
        }
        this.#buf.set(chunk.subarray(0, n), this.#end);
        this.#end += n;
        this.#wakeup();
      }
    } catch {
      // closed under us
    }
    this.#eof = true;
    this.#wakeup();
  }

  #wakeup(): void {
    const resolve = this.#resolve;
    this.#resolve = null;
    resolve?.();
    const future = this.#future;
    this.#future = null;
    future?.setResult();
  }

  async readexactly(n: number): Promise<Uint8Array | null> {
    while (this.#end - this.#start < n) {
      if (this.#eof) return null;
      if (this.wake === "future") {
        const future = getRunningLoop().createFuture<void>();
        this.#future = future;
        await future;
      } else {
        await new Promise<void>((resolve) => this.#resolve = resolve);
      }
    }
    const at = this.#start;
    this.#start += n;
    const out = this.copy
      ? this.#buf.slice(at, at + n)
      : this.#buf.subarray(at, at + n);
    if (this.#start === this.#end) this.#start = this.#end = 0;
    return out;
  }

  write(data: Uint8Array): Promise<void> {
    return writeAll(this.conn, this.copy ? data.slice() : data);
  }
}

async function pumpedEcho(
  o: ReturnType<typeof parseArgs>,
  wake: Wake,
  copy: boolean,
): Promise<Measure> {
  const body = async (): Promise<Measure> => {
    const listener = Deno.listen({ hostname: HOST, port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    const handlers: Promise<void>[] = [];
    const tasks: Future<void>[] = [];
    const accepting = (async () => {
      for (;;) {
        let conn: Deno.Conn;
        try {
          conn = await listener.accept();
        } catch {
          return;
        }
        const serve = async () => {
          const p = new Pumped(conn, wake, copy);
          for (;;) {
            const m = await p.readexactly(o.size);
            if (m === null) break;
            await p.write(m);
          }
          conn.close();
        };
        if (wake === "future") {
          const loop = getRunningLoop();
          loop.callSoonThreadsafe(() => tasks.push(loop.createTask(serve)));
        } else handlers.push(serve());
      }
    })();
    const conns = await Promise.all(
      Array.from(
        { length: o.conns },
        () => Deno.connect({ hostname: HOST, port }),
      ),
    );
    let stop = false;
    let total = 0;
    const client = async (conn: Deno.Conn) => {
      const p = new Pumped(conn, wake, copy);
      const msg = new Uint8Array(o.size);
      while (!stop) {
        await p.write(msg);
        if (await p.readexactly(o.size) === null) throw new Error("EOF");
        total++;
      }
    };
    const timer = setTimeout(() => stop = true, o.seconds * 1000);
    const t0 = performance.now();
    if (wake === "future") {
      await gather(...conns.map((c) => () => client(c)));
    } else await Promise.all(conns.map(client));
    const wallS = (performance.now() - t0) / 1000;
    clearTimeout(timer);
    for (const c of conns) c.close();
    listener.close();
    await accepting;
    await Promise.all(handlers);
    if (tasks.length > 0) await gather(...tasks);
    return { items: total, wallS, cpuUs: NaN };
  };
  return wake === "future" ? await run(body) : await body();
}

// -------------------------------------------------------- bulk floors

async function bareBulkVariant(
  o: ReturnType<typeof parseArgs>,
  copyWrite: boolean,
  freshRead: boolean,
): Promise<Measure> {
  const listener = Deno.listen({ hostname: HOST, port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const server = (async () => {
    const conn = await listener.accept();
    const chunk = new Uint8Array(o.chunk).fill(7);
    const stage = new Uint8Array(o.chunk);
    for (let sent = 0; sent < o.bulkBytes; sent += o.chunk) {
      if (copyWrite) {
        stage.set(chunk, 0);
        await writeAll(conn, stage);
      } else await writeAll(conn, chunk);
    }
    conn.close();
  })();
  const conn = await Deno.connect({ hostname: HOST, port });
  const slabSize = 1 << 20;
  let slab = new Uint8Array(freshRead ? slabSize : o.chunk);
  let at = 0;
  let got = 0;
  const t0 = performance.now();
  for (;;) {
    if (freshRead && slab.length - at < o.chunk) {
      slab = new Uint8Array(slabSize);
      at = 0;
    }
    const n = await conn.read(slab.subarray(at, at + o.chunk));
    if (n === null) break;
    if (freshRead) at += n;
    got += n;
  }
  const wallS = (performance.now() - t0) / 1000;
  conn.close();
  await server;
  listener.close();
  if (got !== o.bulkBytes) throw new Error(`bulk: ${got} bytes`);
  return { items: got, wallS, cpuUs: NaN };
}

// --------------------------------------------------------------- micro

function sliceCost(size: number): { slice: number; set: number } {
  const src = new Uint8Array(size).fill(1);
  const dst = new Uint8Array(size);
  const n = size >= 65536 ? 20_000 : 300_000;
  let keep = 0;
  for (let r = 0; r < 2; r++) {
    // first pass warms up
    const t0 = performance.now();
    for (let i = 0; i < n; i++) keep += src.slice().length;
    const t1 = performance.now();
    for (let i = 0; i < n; i++) {
      dst.set(src, 0);
      keep += dst[0];
    }
    const t2 = performance.now();
    if (r === 1 && keep > 0) {
      return { slice: (t1 - t0) * 1000 / n, set: (t2 - t1) * 1000 / n };
    }
  }
  throw new Error("unreachable");
}

// -------------------------------------------------------------- driver

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

interface Case {
  name: string;
  run: () => Promise<Measure>;
}

async function measure(
  cases: Case[],
  a: Args,
  rate: (m: Measure) => number,
  unit: string,
): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let r = 0; r < a.warmup + a.rounds; r++) {
    for (const c of cases) {
      const v = rate(await c.run());
      console.error(
        `[breakdown] ${c.name} round ${r + 1}: ${v.toFixed(0)} ${unit}`,
      );
      if (r >= a.warmup) out.get(c.name)!.push(v);
    }
  }
  return out;
}

function print(
  title: string,
  unit: string,
  results: Map<string, number[]>,
  perItem: (v: number) => string,
  perItemLabel: string,
): void {
  const base = median(results.values().next().value!);
  const rows = [...results].map(([name, v]) => {
    const m = median(v);
    return [
      name,
      m.toFixed(0),
      `${Math.min(...v).toFixed(0)}-${Math.max(...v).toFixed(0)}`,
      perItem(m),
      `${(m / base).toFixed(2)}x`,
    ];
  });
  const header = ["case", unit, "min-max", perItemLabel, "of bare"];
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => r[i].length))
  );
  const line = (cells: string[]) =>
    cells.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))
      .join("  ");
  console.log(`\n${title}\n`);
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(r));
}

async function main(): Promise<void> {
  const a = args(Deno.args);
  const o = parseArgs([]);
  o.seconds = a.seconds;
  o.bulkBytes = Math.round(a.bulkMib * 1024 * 1024 / o.chunk) * o.chunk;

  const echo = await measure(
    [
      { name: "bare (conn.read/conn.write)", run: () => bareEcho(null, o) },
      {
        name: "pump, promise wake, no copies",
        run: () => pumpedEcho(o, "promise", false),
      },
      {
        name: "pump, loop-future wake (tasks), no copies",
        run: () => pumpedEcho(o, "future", false),
      },
      {
        name: "pump, loop-future wake + 2 copies per side",
        run: () => pumpedEcho(o, "future", true),
      },
      { name: "ours (streams)", run: () => oursEcho(null, o) },
    ],
    a,
    (m) => m.items / m.wallS,
    "msg/s",
  );
  const bulk = await measure(
    [
      {
        name: "bare (one reused read buffer)",
        run: () => bareBulk(null, o, true),
      },
      {
        name: "bare, write copied first",
        run: () => bareBulkVariant(o, true, false),
      },
      {
        name: "bare, reads into fresh memory",
        run: () => bareBulkVariant(o, false, true),
      },
      {
        name: "bare, both",
        run: () => bareBulkVariant(o, true, true),
      },
      { name: "ours (streams)", run: () => oursBulk(null, o, true) },
    ],
    a,
    (m) => m.items / 1e6 / m.wallS,
    "MB/s",
  );
  print(
    `Echo, ${o.conns} connections x ${o.size} B, one process (median of ` +
      `${a.rounds} rounds of ${a.seconds} s)`,
    "msg/s",
    echo,
    (v) => (1e6 / v).toFixed(2),
    "us/msg",
  );
  print(
    `Bulk, ${o.bulkBytes / 2 ** 20} MiB server->client in ${o.chunk} B ` +
      `chunks, one process (median of ${a.rounds} rounds)`,
    "MB/s",
    bulk,
    (v) => (o.chunk / v).toFixed(1),
    "us/64KiB",
  );
  console.log("\nCopies (us each; slice() makes a new ArrayBuffer)\n");
  for (const size of [1024, 65536]) {
    const c = sliceCost(size);
    console.log(
      `${String(size).padStart(6)} B: slice() ${c.slice.toFixed(3)} us, ` +
        `set() into a reused array ${c.set.toFixed(3)} us`,
    );
  }
}

if (import.meta.main) {
  await main();
  Deno.exit(0);
}
