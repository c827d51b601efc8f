/**
 * Streams benchmarks over loopback TCP: asyncio for Deno's streams
 * (`startServer`, `openConnection`, `StreamReader`, `StreamWriter`) beside
 * bare `Deno.Conn` code doing the same, in one process or with the server
 * in a child process. `bench/streams/bench.py` is the same for CPython
 * asyncio and uvloop; `bench/streams/compare` runs them all and prints
 * the table (`bench/streams/_report.ts`).
 *
 * ```sh
 * deno run -A bench/streams/bench.ts               # table
 * deno run -A bench/streams/bench.ts --json        # JSON on stdout
 * deno run -A bench/streams/bench.ts --only echo --impl ours --layout same \
 *   --rounds 3 --warmup 1 --seconds 2
 * deno run -A bench/streams/bench.ts --tls on --layout split  # over TLS
 * deno run --allow-net bench/streams/bench.ts --serve ours   # a server only
 * ```
 *
 * Workloads:
 * - `echo`: 64 connections, each doing request/response with 1 KiB
 *   messages for `--seconds` per round: the client writes 1 KiB, awaits
 *   `drain()` and reads exactly 1 KiB back; the server echoes each message
 *   with `readexactly(1024)`, `write`, `drain`. Metric: messages per
 *   second (all connections together). Bare: `conn.write` until all is
 *   written, `conn.read` until 1 KiB is in.
 * - `bulk_s2c`: one connection; the server writes 1 GiB in 64 KiB chunks
 *   (`write` + `drain`), then closes; the client does `read(65536)` until
 *   EOF. Metric: MB/s (10^6 bytes), from the request to EOF.
 * - `bulk_c2s`: the reverse: the client writes 1 GiB in 64 KiB chunks
 *   (`write` + `drain`), then `writeEof()`; the server does `read(65536)`
 *   until EOF and answers with the byte count (8 bytes), which ends the
 *   timing.
 * - `echo_memory`: the echo over in-memory connections, no kernel: each
 *   connection is a pair of {@link MemoryConn}s (bytes written on one end
 *   are copied into a bounded buffer the other end reads from, each wait a
 *   plain promise). Ours: a `Transport` with a `StreamReader` and a
 *   `StreamWriter` over each end (the library's public constructors, as
 *   `openConnection` builds them over a socket), the same client and
 *   server code as `echo`; bare: the same bare code as `echo`, over the
 *   same in-memory ends. The clients stop at a deadline checked after each
 *   message (nothing here waits for the host, so a host timer would never
 *   fire for bare). Layout `same` only.
 *
 * Layouts: `same` (server and client in this process, ours on one loop)
 * and `split` (the server in a child `deno run bench/streams/bench.ts
 * --serve IMPL`, the client here).
 *
 * `--tls on`: every workload over TLS, with a throw-away certificate
 * (tests/_tls.ts, made with openssl): ours with `startServer(..., { ssl })`
 * and `openConnection(..., { ssl: { caCerts } })`, bare with
 * `Deno.listenTls` and `Deno.connectTls`. TLS cannot half-close, so
 * `bulk_c2s` then ends with the byte count the header announced instead of
 * `writeEof()`. A server child gets the certificate in its environment.
 * `echo_memory` has no socket, so it stays without TLS.
 *
 * Protocol: the client first sends a 16-byte header: byte 0 the mode
 * (`E` echo, `S` server sends, `R` server receives), bytes 4-7 the message
 * or chunk size (uint32, little-endian), bytes 8-15 the byte count for
 * `S`, and for `R` over TLS (float64, little-endian; 0: until EOF).
 *
 * @module
 */
import process from "node:process";
import {
  createTask,
  gather,
  getRunningLoop,
  IncompleteReadError,
  openConnection,
  run,
  startServer,
  StreamReader,
  StreamWriter,
  type Task,
  Transport,
} from "../../mod.ts";
import { testCertificates } from "../../tests/_tls.ts";
import { scanArgs } from "../_shared/args.ts";
import { type Machine, machineInfo, machineLine } from "../_shared/machine.ts";

/** Which implementation a result is from. */
export type Impl = "ours" | "bare" | "cpython" | "uvloop";
/** Where the server runs. */
export type Layout = "same" | "split";
/** The workloads. */
export type Workload = "echo" | "bulk_s2c" | "bulk_c2s" | "echo_memory";

/** One series of rounds of one workload, implementation and layout. */
export interface StreamResult {
  /** The workload. */
  workload: Workload;
  /** Where the server ran. */
  layout: Layout;
  /** Whose code ran (both ends). */
  impl: Impl;
  /** `msg/s` (echo) or `MB/s` (bulk, 10^6 bytes per second). */
  unit: string;
  /** Median over the measured rounds. */
  median: number;
  /** Lowest round. */
  min: number;
  /** Highest round. */
  max: number;
  /** Every measured round. */
  samples: number[];
  /** Median wall seconds of a round. */
  wall_s: number;
  /**
   * Median process CPU time of this process per item, microseconds
   * (per message, or per MB); with layout `split` the server's is not in it.
   */
  cpu_us: number;
  /** Messages (echo) or bytes (bulk) of the median round. */
  items: number;
}

/** What `--json` prints (and `bench.py` prints too). */
export interface StreamsReport {
  /** Which runtime produced it. */
  runtime: Record<string, string>;
  /** The machine (CPU model, CPUs, OS); the Deno runner's only. */
  machine?: Machine;
  /** ISO date of the run. */
  date: string;
  /** Measured rounds. */
  rounds: number;
  /** Warm-up rounds. */
  warmup: number;
  /** Seconds per echo round. */
  seconds: number;
  /** Echo connections. */
  conns: number;
  /** Echo message size. */
  size: number;
  /** Bulk bytes per round. */
  bulk_bytes: number;
  /** Bulk chunk size. */
  chunk: number;
  /** Whether every connection was TLS (`--tls on`). */
  tls: boolean;
  /** The results. */
  results: StreamResult[];
}

const HOST = "127.0.0.1";
const WORKLOADS: Workload[] = ["echo", "bulk_s2c", "bulk_c2s", "echo_memory"];
const IMPLS = ["ours", "bare"] as const;
const LAYOUTS: Layout[] = ["same", "split"];

/** Options of a run (`parseArgs` of the command line). */
export interface Options {
  /** Print JSON. */
  json: boolean;
  /** Measured rounds. */
  rounds: number;
  /** Warm-up rounds. */
  warmup: number;
  /** Seconds per echo round. */
  seconds: number;
  /** Echo connections. */
  conns: number;
  /** Echo message size. */
  size: number;
  /** Bulk bytes per round. */
  bulkBytes: number;
  /** Bulk chunk size (writes and reads). */
  chunk: number;
  /** Workloads to run. */
  only: Workload[];
  /** Implementations to run. */
  impls: ("ours" | "bare")[];
  /** Layouts to run. */
  layouts: Layout[];
  /** Serve only (a server child). */
  serve: "ours" | "bare" | null;
  /** Everything over TLS. */
  tls: boolean;
}

function usage(): never {
  console.error(
    "usage: deno run -A bench/streams/bench.ts [--json] [--rounds N] " +
      "[--warmup N] [--seconds S] [--conns N] [--size BYTES] " +
      "[--bulk-mib N] [--chunk BYTES] " +
      "[--only echo,bulk_s2c,bulk_c2s,echo_memory] " +
      "[--impl ours,bare] [--layout same,split] [--tls on|off]\n" +
      "       deno run --allow-net bench/streams/bench.ts --serve ours|bare " +
      "[--tls on|off]",
  );
  Deno.exit(64);
}

/** Parses the command line (the defaults with `[]`). */
export function parseArgs(args: string[]): Options {
  const opts: Options = {
    json: false,
    rounds: 5,
    warmup: 1,
    seconds: 2.5,
    conns: 64,
    size: 1024,
    bulkBytes: 1024 * 1024 * 1024,
    chunk: 64 * 1024,
    only: WORKLOADS,
    impls: [...IMPLS],
    layouts: LAYOUTS,
    serve: null,
    tls: false,
  };
  for (const arg of scanArgs(args, usage)) {
    switch (arg.name) {
      case "--json":
        opts.json = true;
        break;
      case "--rounds":
        opts.rounds = Math.floor(arg.number(1));
        break;
      case "--warmup":
        opts.warmup = Math.floor(arg.number(0));
        break;
      case "--seconds":
        opts.seconds = arg.number(0.01);
        break;
      case "--conns":
        opts.conns = Math.floor(arg.number(1));
        break;
      case "--size":
        opts.size = Math.floor(arg.number(1));
        break;
      case "--bulk-mib":
        opts.bulkBytes = Math.floor(arg.number(1 / 1024) * 1024 * 1024);
        break;
      case "--chunk":
        opts.chunk = Math.floor(arg.number(1));
        break;
      case "--only":
        opts.only = arg.list(WORKLOADS);
        break;
      case "--impl":
        opts.impls = arg.list(IMPLS);
        break;
      case "--layout":
        opts.layouts = arg.list(LAYOUTS);
        break;
      case "--serve": {
        const v = arg.value();
        if (v !== "ours" && v !== "bare") usage();
        opts.serve = v;
        break;
      }
      case "--tls": {
        const v = arg.value();
        if (v !== "on" && v !== "off") usage();
        opts.tls = v === "on";
        break;
      }
      case "--uvloop": // accepted (and ignored) so that args pass through
        break;
      default:
        usage();
    }
  }
  if (opts.bulkBytes % opts.chunk !== 0) {
    console.error("--bulk-mib must be a whole number of --chunk");
    usage();
  }
  return opts;
}

// ------------------------------------------------------------ protocol

const HEADER = 16;

function header(mode: "E" | "S" | "R", size: number, count = 0): Uint8Array {
  const h = new Uint8Array(HEADER);
  const view = new DataView(h.buffer);
  h[0] = mode.charCodeAt(0);
  view.setUint32(4, size, true);
  view.setFloat64(8, count, true);
  return h;
}

function parseHeader(
  h: Uint8Array,
): { mode: string; size: number; count: number } {
  const view = new DataView(h.buffer, h.byteOffset, h.byteLength);
  return {
    mode: String.fromCharCode(h[0]),
    size: view.getUint32(4, true),
    count: view.getFloat64(8, true),
  };
}

function countBytes(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setFloat64(0, n, true);
  return out;
}

function readCount(b: Uint8Array): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getFloat64(0, true);
}

function pattern(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + 7) & 255;
  return out;
}

// ------------------------------------------------------------------ TLS

/** The certificate of `--tls on` (set by main, or a server child). */
let tls: { ca: string; cert: string; key: string } | null = null;

/** What a server child finds its certificate in. */
const CERT_ENV = "BENCH_TLS_CERT";
const KEY_ENV = "BENCH_TLS_KEY";

function serverOptions() {
  return tls === null ? {} : { ssl: { cert: tls.cert, key: tls.key } };
}

function clientOptions() {
  return tls === null ? {} : { ssl: { caCerts: [tls.ca] } };
}

function bareListen(): Deno.Listener {
  return tls === null
    ? Deno.listen({ hostname: HOST, port: 0 })
    : Deno.listenTls({
      hostname: HOST,
      port: 0,
      cert: tls.cert,
      key: tls.key,
    });
}

function bareConnect(port: number): Promise<Deno.Conn> {
  return tls === null
    ? Deno.connect({ hostname: HOST, port })
    : Deno.connectTls({ hostname: HOST, port, caCerts: [tls.ca] });
}

// ---------------------------------------------------------- ours: server

/** The server's side of every workload, on our streams. */
async function oursHandler(
  reader: StreamReader,
  writer: StreamWriter,
): Promise<void> {
  const { mode, size, count } = parseHeader(await reader.readexactly(HEADER));
  if (mode === "E") {
    for (;;) {
      let msg: Uint8Array;
      try {
        msg = await reader.readexactly(size);
      } catch (error) {
        if (
          error instanceof IncompleteReadError && error.partial.length === 0
        ) {
          break;
        }
        throw error;
      }
      writer.write(msg);
      await writer.drain();
    }
  } else if (mode === "S") {
    const chunk = pattern(size);
    for (let sent = 0; sent < count; sent += size) {
      writer.write(chunk);
      await writer.drain();
    }
  } else if (mode === "R") {
    let total = 0;
    while (count === 0 || total < count) {
      const block = await reader.read(size);
      if (block.length === 0) break;
      total += block.length;
    }
    writer.write(countBytes(total));
    await writer.drain();
  }
  writer.close();
  await writer.waitClosed();
}

// ---------------------------------------------------------- bare: server

/**
 * What the bare code uses of a connection: a `Deno.Conn`, or a
 * {@link MemoryConn}.
 */
export interface ByteConn {
  /** Reads into `buffer`: the byte count, or null at the end. */
  read(buffer: Uint8Array): Promise<number | null>;
  /** Writes some of `data`: how many bytes. */
  write(data: Uint8Array): Promise<number>;
  /** Ends the sending side. */
  closeWrite(): Promise<void>;
  /** Closes both sides. */
  close(): void;
}

/** Reads until `buf` is full; false at EOF before any byte. */
export async function readFull(
  conn: ByteConn,
  buf: Uint8Array,
): Promise<boolean> {
  let at = 0;
  while (at < buf.length) {
    const n = await conn.read(at === 0 ? buf : buf.subarray(at));
    if (n === null) {
      if (at === 0) return false;
      throw new Error(`connection ended after ${at} of ${buf.length} bytes`);
    }
    at += n;
  }
  return true;
}

/** Writes all of `data`. */
export async function writeAll(
  conn: ByteConn,
  data: Uint8Array,
): Promise<void> {
  let at = 0;
  while (at < data.length) {
    at += await conn.write(at === 0 ? data : data.subarray(at));
  }
}

/** The server's side of every workload, on bare `Deno.Conn`. */
async function bareHandler(conn: ByteConn): Promise<void> {
  try {
    const h = new Uint8Array(HEADER);
    if (!await readFull(conn, h)) return;
    const { mode, size, count } = parseHeader(h);
    if (mode === "E") {
      const buf = new Uint8Array(size);
      while (await readFull(conn, buf)) await writeAll(conn, buf);
    } else if (mode === "S") {
      const chunk = pattern(size);
      for (let sent = 0; sent < count; sent += size) {
        await writeAll(conn, chunk);
      }
    } else if (mode === "R") {
      const buf = new Uint8Array(size);
      let total = 0;
      while (count === 0 || total < count) {
        const n = await conn.read(buf);
        if (n === null) break;
        total += n;
      }
      await writeAll(conn, countBytes(total));
    }
  } finally {
    conn.close();
  }
}

// ---------------------------------------------------- in-memory connections

/**
 * One direction of an in-memory connection: what one end writes is copied
 * into the read waiting at the other end, or else into a bounded buffer
 * (a write that finds it full waits for the reader), as a kernel's socket
 * buffer would take it. One read and one write at a time.
 */
class MemoryChannel {
  readonly #buf: Uint8Array;
  #start = 0;
  #end = 0;
  /** The writing end ended its sending side. */
  #ended = false;
  /** The reading end is closed. */
  #broken = false;
  #reader: {
    buffer: Uint8Array;
    resolve: (n: number | null) => void;
  } | null = null;
  #writer: {
    data: Uint8Array;
    resolve: (n: number) => void;
    reject: (error: unknown) => void;
  } | null = null;

  constructor(capacity: number) {
    this.#buf = new Uint8Array(capacity);
  }

  write(data: Uint8Array): Promise<number> {
    if (this.#ended || this.#broken) {
      return Promise.reject(new Deno.errors.BrokenPipe("memory connection"));
    }
    const reader = this.#reader;
    if (reader !== null) {
      this.#reader = null;
      const n = Math.min(data.length, reader.buffer.length);
      reader.buffer.set(n === data.length ? data : data.subarray(0, n));
      reader.resolve(n);
      return Promise.resolve(n);
    }
    const n = this.#store(data);
    if (n > 0 || data.length === 0) return Promise.resolve(n);
    return new Promise((resolve, reject) => {
      this.#writer = { data, resolve, reject };
    });
  }

  #store(data: Uint8Array): number {
    if (this.#end + data.length > this.#buf.length && this.#start > 0) {
      this.#buf.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
    const n = Math.min(data.length, this.#buf.length - this.#end);
    this.#buf.set(data.subarray(0, n), this.#end);
    this.#end += n;
    return n;
  }

  read(buffer: Uint8Array): Promise<number | null> {
    if (this.#end > this.#start) {
      const n = Math.min(buffer.length, this.#end - this.#start);
      buffer.set(this.#buf.subarray(this.#start, this.#start + n));
      this.#start += n;
      if (this.#start === this.#end) this.#start = this.#end = 0;
      const writer = this.#writer;
      if (writer !== null) {
        this.#writer = null;
        writer.resolve(this.#store(writer.data));
      }
      return Promise.resolve(n);
    }
    if (this.#ended || this.#broken) return Promise.resolve(null);
    return new Promise((resolve) => this.#reader = { buffer, resolve });
  }

  /** The writing end is done: the reader gets EOF after the bytes. */
  end(): void {
    this.#ended = true;
    if (this.#end === this.#start) this.#wakeReader();
  }

  /** The reading end is closed: reads end, writes fail. */
  break(): void {
    this.#broken = true;
    this.#wakeReader();
    const writer = this.#writer;
    this.#writer = null;
    writer?.reject(new Deno.errors.BrokenPipe("memory connection"));
  }

  #wakeReader(): void {
    const reader = this.#reader;
    this.#reader = null;
    reader?.resolve(null);
  }
}

/**
 * One end of an in-memory connection ({@link memoryConnPair}): a
 * {@link ByteConn} for the bare code, and a `Resource` for a `Transport`.
 */
export class MemoryConn implements ByteConn {
  readonly #in: MemoryChannel;
  readonly #out: MemoryChannel;

  constructor(incoming: MemoryChannel, outgoing: MemoryChannel) {
    this.#in = incoming;
    this.#out = outgoing;
  }

  read(buffer: Uint8Array): Promise<number | null> {
    return this.#in.read(buffer);
  }

  write(data: Uint8Array): Promise<number> {
    return this.#out.write(data);
  }

  closeWrite(): Promise<void> {
    this.#out.end();
    return Promise.resolve();
  }

  close(): void {
    this.#out.end();
    this.#in.break();
  }
}

/**
 * The two ends of an in-memory connection, each direction buffering up to
 * `capacity` bytes.
 */
export function memoryConnPair(
  capacity = 256 * 1024,
): [MemoryConn, MemoryConn] {
  const ab = new MemoryChannel(capacity);
  const ba = new MemoryChannel(capacity);
  return [new MemoryConn(ba, ab), new MemoryConn(ab, ba)];
}

/**
 * Our reader and writer over one end of an in-memory connection, built
 * with the public constructors as `openConnection` builds them over a
 * socket.
 */
function memoryStreams(conn: MemoryConn): [StreamReader, StreamWriter] {
  const reader = new StreamReader();
  const transport = new Transport(conn, { reader });
  return [reader, new StreamWriter(transport, reader)];
}

interface BareServer {
  port: number;
  close(): Promise<void>;
}

function startBareServer(): BareServer {
  const listener = bareListen();
  const handlers = new Set<Promise<void>>();
  const accepting = (async () => {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        return;
      }
      const p = bareHandler(conn).catch((e) => {
        console.error(`[deno] bare server: ${e}`);
      });
      handlers.add(p);
      p.finally(() => handlers.delete(p));
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      listener.close();
      await accepting;
      await Promise.all(handlers);
    },
  };
}

// ----------------------------------------------------------- the clients

/** One round's figures. */
export interface Measure {
  /** Messages or bytes. */
  items: number;
  wallS: number;
  cpuUs: number;
}

function cpuNow(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Echo with our streams; `port` null: start our server in this loop. */
export function oursEcho(port: number | null, o: Options): Promise<Measure> {
  return run(async () => {
    const loop = getRunningLoop();
    const server = port === null
      ? await startServer(oursHandler, HOST, 0, serverOptions())
      : null;
    const p = port ??
      (server!.sockets[0].getsockname() as [string, number])[1];
    const conns = await gather(
      ...Array.from({ length: o.conns }, () => async () => {
        const [reader, writer] = await openConnection(
          HOST,
          p,
          clientOptions(),
        );
        writer.write(header("E", o.size));
        await writer.drain();
        return [reader, writer] as const;
      }),
    );
    const m = await oursEchoClients(conns, o, () => {
      let stop = false;
      loop.callLater(o.seconds, () => stop = true);
      return () => stop;
    });
    for (const [, writer] of conns) writer.close();
    for (const [, writer] of conns) await writer.waitClosed();
    if (server !== null) {
      server.close();
      await server.waitClosed();
    }
    return m;
  });
}

/**
 * When the echo clients stop: called as the timing starts, it returns the
 * check each client makes after every message.
 */
type Stopper = () => () => boolean;

/** A stopper that checks the clock against a deadline. */
function deadline(seconds: number): Stopper {
  return () => {
    const end = performance.now() + seconds * 1000;
    return () => performance.now() >= end;
  };
}

/** The echo clients on our streams, inside `run()`: the timed part. */
async function oursEchoClients(
  conns: (readonly [StreamReader, StreamWriter])[],
  o: Options,
  stopper: Stopper,
): Promise<Measure> {
  let stop = false;
  let stopped: () => boolean = () => false;
  const counts = new Array<number>(conns.length).fill(0);
  const client = async (i: number) => {
    const [reader, writer] = conns[i];
    const msg = pattern(o.size);
    let n = 0;
    while (!stop) {
      const tag = n & 255;
      msg[0] = tag;
      writer.write(msg);
      await writer.drain();
      const back = await reader.readexactly(o.size);
      if (back[0] !== tag || back[o.size - 1] !== msg[o.size - 1]) {
        throw new Error("echo: wrong bytes back");
      }
      n++;
      if (stopped()) stop = true;
    }
    counts[i] = n;
  };
  const cpu0 = cpuNow();
  const t0 = performance.now();
  stopped = stopper();
  await gather(...conns.map((_, i) => () => client(i)));
  const wallS = (performance.now() - t0) / 1000;
  const cpu = cpuNow() - cpu0;
  const items = counts.reduce((a, b) => a + b, 0);
  return { items, wallS, cpuUs: cpu / items };
}

/** Echo with our streams over in-memory connections (no kernel). */
export function oursMemoryEcho(o: Options): Promise<Measure> {
  return run(async () => {
    const servers: Task<void>[] = [];
    const conns: (readonly [StreamReader, StreamWriter])[] = [];
    for (let i = 0; i < o.conns; i++) {
      const [client, server] = memoryConnPair();
      const [serverReader, serverWriter] = memoryStreams(server);
      servers.push(createTask(() => oursHandler(serverReader, serverWriter)));
      const [reader, writer] = memoryStreams(client);
      writer.write(header("E", o.size));
      await writer.drain();
      conns.push([reader, writer]);
    }
    const m = await oursEchoClients(conns, o, deadline(o.seconds));
    for (const [, writer] of conns) writer.close();
    for (const [, writer] of conns) await writer.waitClosed();
    await gather(...servers);
    return m;
  });
}

/** Echo with bare `Deno.Conn`s; `port` null: a bare server here. */
export async function bareEcho(
  port: number | null,
  o: Options,
): Promise<Measure> {
  const server = port === null ? startBareServer() : null;
  const p = port ?? server!.port;
  const conns = await Promise.all(
    Array.from({ length: o.conns }, async () => {
      const conn = await bareConnect(p);
      await writeAll(conn, header("E", o.size));
      return conn;
    }),
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await bareEchoClients(conns, o, () => {
      let stop = false;
      timer = setTimeout(() => stop = true, o.seconds * 1000);
      return () => stop;
    });
  } finally {
    clearTimeout(timer);
    for (const conn of conns) conn.close();
    await server?.close();
  }
}

/** The bare echo clients: the timed part. */
async function bareEchoClients(
  conns: ByteConn[],
  o: Options,
  stopper: Stopper,
): Promise<Measure> {
  let stop = false;
  let stopped: () => boolean = () => false;
  const counts = new Array<number>(conns.length).fill(0);
  const client = async (i: number) => {
    const conn = conns[i];
    const msg = pattern(o.size);
    const back = new Uint8Array(o.size);
    let n = 0;
    while (!stop) {
      const tag = n & 255;
      msg[0] = tag;
      await writeAll(conn, msg);
      if (!await readFull(conn, back)) throw new Error("echo: EOF");
      if (back[0] !== tag || back[o.size - 1] !== msg[o.size - 1]) {
        throw new Error("echo: wrong bytes back");
      }
      n++;
      if (stopped()) stop = true;
    }
    counts[i] = n;
  };
  const cpu0 = cpuNow();
  const t0 = performance.now();
  stopped = stopper();
  await Promise.all(conns.map((_, i) => client(i)));
  const wallS = (performance.now() - t0) / 1000;
  const cpu = cpuNow() - cpu0;
  const items = counts.reduce((a, b) => a + b, 0);
  return { items, wallS, cpuUs: cpu / items };
}

/**
 * Echo with the bare code over in-memory connections (no kernel): plain
 * async functions, each wait a plain promise.
 */
export async function bareMemoryEcho(o: Options): Promise<Measure> {
  const servers: Promise<void>[] = [];
  const conns: MemoryConn[] = [];
  for (let i = 0; i < o.conns; i++) {
    const [client, server] = memoryConnPair();
    servers.push(bareHandler(server));
    await writeAll(client, header("E", o.size));
    conns.push(client);
  }
  try {
    return await bareEchoClients(conns, o, deadline(o.seconds));
  } finally {
    for (const conn of conns) conn.close();
    await Promise.all(servers);
  }
}

/** Bulk transfer with our streams. */
export function oursBulk(
  port: number | null,
  o: Options,
  toClient: boolean,
): Promise<Measure> {
  return run(async () => {
    const server = port === null
      ? await startServer(oursHandler, HOST, 0, serverOptions())
      : null;
    const p = port ??
      (server!.sockets[0].getsockname() as [string, number])[1];
    const [reader, writer] = await openConnection(HOST, p, clientOptions());
    const cpu0 = cpuNow();
    const t0 = performance.now();
    let got = 0;
    if (toClient) {
      writer.write(header("S", o.chunk, o.bulkBytes));
      await writer.drain();
      for (;;) {
        const block = await reader.read(o.chunk);
        if (block.length === 0) break;
        got += block.length;
      }
    } else {
      // TLS cannot half-close: the server reads what the header says.
      writer.write(header("R", o.chunk, tls === null ? 0 : o.bulkBytes));
      const chunk = pattern(o.chunk);
      for (let sent = 0; sent < o.bulkBytes; sent += o.chunk) {
        writer.write(chunk);
        await writer.drain();
      }
      if (tls === null) writer.writeEof();
      got = readCount(await reader.readexactly(8));
    }
    const wallS = (performance.now() - t0) / 1000;
    const cpu = cpuNow() - cpu0;
    if (got !== o.bulkBytes) {
      throw new Error(`bulk: ${got} bytes arrived, not ${o.bulkBytes}`);
    }
    writer.close();
    await writer.waitClosed();
    if (server !== null) {
      server.close();
      await server.waitClosed();
    }
    return { items: got, wallS, cpuUs: cpu / (got / 1e6) };
  });
}

/** Bulk transfer with bare `Deno.Conn`s. */
export async function bareBulk(
  port: number | null,
  o: Options,
  toClient: boolean,
): Promise<Measure> {
  const server = port === null ? startBareServer() : null;
  const p = port ?? server!.port;
  const conn = await bareConnect(p);
  const cpu0 = cpuNow();
  const t0 = performance.now();
  let got = 0;
  if (toClient) {
    await writeAll(conn, header("S", o.chunk, o.bulkBytes));
    const buf = new Uint8Array(o.chunk);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      got += n;
    }
  } else {
    await writeAll(conn, header("R", o.chunk, tls === null ? 0 : o.bulkBytes));
    const chunk = pattern(o.chunk);
    for (let sent = 0; sent < o.bulkBytes; sent += o.chunk) {
      await writeAll(conn, chunk);
    }
    if (tls === null) await conn.closeWrite();
    const ack = new Uint8Array(8);
    if (!await readFull(conn, ack)) throw new Error("bulk: no count back");
    got = readCount(ack);
  }
  const wallS = (performance.now() - t0) / 1000;
  const cpu = cpuNow() - cpu0;
  conn.close();
  if (got !== o.bulkBytes) {
    throw new Error(`bulk: ${got} bytes arrived, not ${o.bulkBytes}`);
  }
  await server?.close();
  return { items: got, wallS, cpuUs: cpu / (got / 1e6) };
}

// ------------------------------------------------------- server children

interface Child {
  port: number;
  stop(): Promise<void>;
}

async function spawnServer(impl: "ours" | "bare"): Promise<Child> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      `--allow-env=${CERT_ENV},${KEY_ENV}`,
      import.meta.url,
      "--serve",
      impl,
      "--tls",
      tls === null ? "off" : "on",
    ],
    env: tls === null ? {} : { [CERT_ENV]: tls.cert, [KEY_ENV]: tls.key },
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server child (${impl}) exited early`);
    text += value;
    const m = /PORT (\d+)\n/.exec(text);
    if (m !== null) {
      reader.releaseLock();
      return {
        port: Number(m[1]),
        async stop() {
          try {
            child.kill("SIGTERM");
          } catch {
            // already gone
          }
          await child.status;
          await child.stdout.cancel().catch(() => {});
        },
      };
    }
  }
}

async function serve(impl: "ours" | "bare", o: Options): Promise<void> {
  if (o.tls) {
    const cert = Deno.env.get(CERT_ENV);
    const key = Deno.env.get(KEY_ENV);
    if (!cert || !key) {
      throw new Error(`--tls on: no $${CERT_ENV} or $${KEY_ENV}`);
    }
    tls = { ca: "", cert, key };
  }
  if (impl === "bare") {
    const server = startBareServer();
    console.log(`PORT ${server.port}`);
    await new Promise(() => {}); // until killed
  }
  await run(async () => {
    const server = await startServer(oursHandler, HOST, 0, serverOptions());
    const [, port] = server.sockets[0].getsockname() as [string, number];
    console.log(`PORT ${port}`);
    await server.serveForever(); // until killed
  });
}

// ---------------------------------------------------------------- driver

/** Whether a workload is an echo (messages per second). */
export /** Whether a workload's result is over TLS (`echo_memory` has no socket). */
function overTls(o: Options, workload: Workload): boolean {
  return o.tls && workload !== "echo_memory";
}

function isEcho(workload: Workload): boolean {
  return workload === "echo" || workload === "echo_memory";
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

async function main(): Promise<void> {
  const o = parseArgs(Deno.args);
  if (o.serve !== null) return await serve(o.serve, o);
  if (o.tls) tls = await testCertificates();
  const progress = (msg: string) => console.error(`[deno streams] ${msg}`);
  const children = new Map<string, Child>();
  const results: StreamResult[] = [];
  try {
    const overTcp = o.only.some((w) => w !== "echo_memory");
    if (o.layouts.includes("split") && overTcp) {
      for (const impl of o.impls) children.set(impl, await spawnServer(impl));
    }
    for (const workload of WORKLOADS) {
      if (!o.only.includes(workload)) continue;
      const series = new Map<string, Measure[]>();
      const total = o.warmup + o.rounds;
      for (let r = 0; r < total; r++) {
        // Alternate ours and bare, so that drift hits both alike.
        for (const layout of o.layouts) {
          // In memory there is no server process to split off.
          if (workload === "echo_memory" && layout === "split") continue;
          for (const impl of o.impls) {
            const port = layout === "split" ? children.get(impl)!.port : null;
            let m: Measure;
            if (workload === "echo_memory") {
              m = impl === "ours"
                ? await oursMemoryEcho(o)
                : await bareMemoryEcho(o);
            } else if (workload === "echo") {
              m = impl === "ours"
                ? await oursEcho(port, o)
                : await bareEcho(port, o);
            } else {
              const toClient = workload === "bulk_s2c";
              m = impl === "ours"
                ? await oursBulk(port, o, toClient)
                : await bareBulk(port, o, toClient);
            }
            const rate = isEcho(workload)
              ? m.items / m.wallS
              : m.items / 1e6 / m.wallS;
            progress(
              `${workload} ${layout} ${impl} round ${r + 1}/${total}` +
                `${r < o.warmup ? " (warm-up)" : ""}: ${rate.toFixed(0)} ` +
                `${isEcho(workload) ? "msg/s" : "MB/s"}`,
            );
            if (r < o.warmup) continue;
            const key = `${layout}/${impl}`;
            if (!series.has(key)) series.set(key, []);
            series.get(key)!.push(m);
          }
        }
      }
      for (const [key, ms] of series) {
        const [layout, impl] = key.split("/") as [Layout, Impl];
        const rates = ms.map((m) =>
          isEcho(workload) ? m.items / m.wallS : m.items / 1e6 / m.wallS
        );
        const med = median(rates);
        const at = rates.indexOf(
          [...rates].sort((a, b) => Math.abs(a - med) - Math.abs(b - med))[0],
        );
        results.push({
          workload,
          layout,
          impl,
          unit: isEcho(workload) ? "msg/s" : "MB/s",
          median: med,
          min: Math.min(...rates),
          max: Math.max(...rates),
          samples: rates,
          wall_s: median(ms.map((m) => m.wallS)),
          cpu_us: median(ms.map((m) => m.cpuUs)),
          items: ms[at].items,
        });
      }
    }
  } finally {
    for (const child of children.values()) await child.stop();
  }
  const report: StreamsReport = {
    runtime: {
      name: "deno",
      deno: Deno.version.deno,
      v8: Deno.version.v8,
      typescript: Deno.version.typescript,
    },
    machine: machineInfo(),
    date: new Date().toISOString(),
    rounds: o.rounds,
    warmup: o.warmup,
    seconds: o.seconds,
    conns: o.conns,
    size: o.size,
    bulk_bytes: o.bulkBytes,
    chunk: o.chunk,
    tls: o.tls,
    results,
  };
  if (o.json) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  console.log(`asyncio for Deno streams benchmarks, ${report.date}`);
  console.log(machineLine(report.machine));
  for (const r of results) {
    console.log(
      `${overTls(o, r.workload) ? "tls " : ""}${r.workload.padEnd(11)} ${
        r.layout.padEnd(5)
      } ${r.impl.padEnd(5)} ` +
        `${r.median.toFixed(0).padStart(8)} ${r.unit} (min ${
          r.min.toFixed(0)
        }, max ${r.max.toFixed(0)}; ${r.cpu_us.toFixed(2)} us CPU per ${
          r.unit === "msg/s" ? "message" : "MB"
        })`,
    );
  }
}

if (import.meta.main) {
  try {
    await main();
  } catch (e) {
    console.error(
      `[deno streams] benchmark failed: ${e instanceof Error ? e.stack : e}`,
    );
    Deno.exit(2);
  }
  Deno.exit(0);
}
