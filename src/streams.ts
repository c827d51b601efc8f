/**
 * Streams: `openConnection`, `startServer` and their Unix-socket forms,
 * with `StreamReader` and `StreamWriter` (Python's `asyncio.streams`), over
 * `Deno.connect`, `Deno.connectTls`, `Deno.listen` and `Deno.listenTls`.
 *
 * @module
 */
import { ByteBuffer } from "./_bytebuffer.ts";
import { Coroutine } from "./coroutines.ts";
import { outsideTasks } from "./_context.ts";
import { checkInteger, rangeError, typeError } from "./_validate.ts";
import { LoopBinding, WaiterQueue } from "./_waiters.ts";
import {
  type BufferedProtocol,
  kDrain,
  kProtocol,
  Transport,
} from "./transports.ts";
import { IncompleteReadError, LimitOverrunError } from "./errors.ts";
import {
  type AbstractEventLoop,
  countIo,
  getEventLoop,
  getRunningLoop,
  runningLoopOrNull,
} from "./events.ts";
import type { Future } from "./futures.ts";
import { sleep, type Task } from "./tasks.ts";

const DEFAULT_LIMIT = 64 * 1024;
const RESOLVED = Promise.resolve();
// A read gets a new array rather than less than this much space.
const READ_SPACE_MIN = 16 * 1024;
const encoder = new TextEncoder();

function toBytes(
  data: Uint8Array | string,
  call: string,
  param: string,
): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (typeof data === "string") return encoder.encode(data);
  throw typeError(call, param, "bytes (a Uint8Array) or a string", data);
}

function checkLimit(call: string, limit: unknown): number {
  return checkInteger(call, "limit", limit, 1);
}

/**
 * Options of a {@link StreamReader}.
 *
 * @example
 * ```ts
 * import { StreamReader, type StreamReaderOptions } from "@aio/asyncio";
 *
 * const options: StreamReaderOptions = { limit: 1024 };
 * console.log(new StreamReader(options).limit); // 1024
 * ```
 */
export interface StreamReaderOptions {
  /** The most bytes a line may have, and the buffer size (64 KiB). */
  limit?: number;
  /** The loop (default: the running one, or the current one). */
  loop?: AbstractEventLoop;
}

/**
 * Reads bytes from a connection or pipe (Python's `asyncio.StreamReader`).
 * Every read waits for data without blocking the loop; at most one task
 * may wait on a reader at a time. `for await (const line of reader)`
 * iterates over lines. Reads return views of the reader's buffer, whose
 * bytes are never overwritten later; `data.slice()` makes a compact copy
 * (to keep a small part of a large read, or to `transfer()` it).
 *
 * @example
 * ```ts
 * import { run, StreamReader } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const reader = new StreamReader();
 *   reader.feedData(new TextEncoder().encode("one\ntwo\n"));
 *   reader.feedEof();
 *   for await (const line of reader) {
 *     console.log(new TextDecoder().decode(line).trim()); // one, then two
 *   }
 * });
 * ```
 */
export class StreamReader implements AsyncIterable<Uint8Array> {
  /** The limit given at creation. */
  readonly limit: number;
  readonly #loop: AbstractEventLoop;
  readonly #buffer = new ByteBuffer(64 * 1024, 1024 * 1024);
  #waiter: Future<void> | null = null;
  #exception: unknown = null;
  #transport: Transport | null = null;
  #paused = false;
  #eof = false;

  /**
   * @ignore What the transport feeds: it reads straight into this
   * reader's buffer.
   */
  readonly [kProtocol]: BufferedProtocol = {
    connectionMade: (transport) => {
      this.#transport = transport;
    },
    getBuffer: (sizeHint) =>
      this.#buffer.tail(Math.min(sizeHint, READ_SPACE_MIN), sizeHint),
    bufferUpdated: (n) => {
      this.#buffer.commit(n);
      if (n > 0) this.#dataArrived();
    },
    eofReceived: () => this.feedEof(),
    connectionLost: (error) => {
      if (error !== null) this.setException(error);
      else if (!this.#eof) this.feedEof();
    },
  };

  /** Creates a reader to feed with `feedData` (or from a transport). */
  constructor(options: StreamReaderOptions = {}) {
    this.limit = checkLimit(
      "new StreamReader()",
      options.limit ?? DEFAULT_LIMIT,
    );
    this.#loop = options.loop ?? runningLoopOrNull() ?? getEventLoop();
  }

  /** The error set by `setException` (the connection's), or null. */
  exception(): unknown {
    return this.#exception;
  }

  /** Makes every read throw `error` (waking a waiting read). */
  setException(error: unknown): void {
    this.#exception = error;
    const waiter = this.#waiter;
    if (waiter !== null) {
      this.#waiter = null;
      if (!waiter.cancelled()) waiter.setException(error);
    }
  }

  /** Adds bytes to the buffer (what the transport does). */
  feedData(data: Uint8Array): void {
    if (!(data instanceof Uint8Array)) {
      throw typeError("feedData()", "data", "bytes (a Uint8Array)", data);
    }
    if (this.#eof) throw new Error("feedData() after feedEof()");
    if (data.length === 0) return;
    this.#buffer.append(data);
    this.#dataArrived();
  }

  #dataArrived(): void {
    this.#wakeup();
    const transport = this.#transport;
    if (
      transport !== null && !this.#paused &&
      this.#buffer.length > 2 * this.limit
    ) {
      transport.pauseReading();
      this.#paused = true;
    }
  }

  /** Marks the end of the stream. */
  feedEof(): void {
    this.#eof = true;
    this.#wakeup();
  }

  /**
   * What the reader holds now: bytes buffered and not read yet, whether
   * it stopped its transport reading (above twice its limit), whether the
   * end of the stream was fed.
   */
  statistics(): StreamReaderStatistics {
    return {
      bufferedBytes: this.#buffer.length,
      readingPaused: this.#paused,
      eof: this.#eof,
    };
  }

  /** True when the stream has ended and the buffer is empty. */
  atEof(): boolean {
    return this.#eof && this.#buffer.length === 0;
  }

  /**
   * Reads up to `n` bytes (waiting for at least one), or with `n < 0`
   * (the default) everything up to the end of the stream. A coroutine, as
   * are the other reads: nothing is read until it is awaited.
   */
  read(n = -1): Coroutine<Uint8Array> {
    if (typeof n !== "number") {
      throw typeError("read()", "n", "an integer (-1: to the end)", n);
    }
    if (!Number.isInteger(n)) {
      throw rangeError("read()", "n", "an integer (-1: to the end)", n);
    }
    return new Coroutine(this.#read, this, n, "StreamReader.read");
  }

  async #read(n: number): Promise<Uint8Array> {
    this.#throwIfFailed();
    if (n === 0) return new Uint8Array(0);
    if (n < 0) {
      const blocks: Uint8Array[] = [];
      let size = 0;
      for (;;) {
        const block = await this.#read(this.limit);
        if (block.length === 0) break;
        blocks.push(block);
        size += block.length;
      }
      return concat(blocks, size);
    }
    if (this.#buffer.length === 0 && !this.#eof) {
      await this.#waitForData("read");
    }
    const data = this.#buffer.take(n);
    this.#maybeResume();
    return data;
  }

  /**
   * Reads one line, `\n` included; at the end of the stream, what is left
   * (possibly empty). A line longer than `limit` throws
   * `LimitOverrunError` (a `RangeError`, where Python raises ValueError)
   * and is dropped from the buffer.
   */
  readline(): Coroutine<Uint8Array> {
    return new Coroutine(
      this.#readline,
      this,
      undefined,
      "StreamReader.readline",
    );
  }

  async #readline(): Promise<Uint8Array> {
    try {
      return await this.#readuntil(ONE_NEWLINE);
    } catch (error) {
      if (error instanceof IncompleteReadError) return error.partial;
      if (error instanceof LimitOverrunError) {
        if (this.#buffer.startsWith(NEWLINE, error.consumed)) {
          this.#buffer.drop(error.consumed + 1);
        } else this.#buffer.clear();
        this.#maybeResume();
      }
      throw error;
    }
  }

  /**
   * Reads exactly `n` bytes; if the stream ends first, throws
   * `IncompleteReadError` with the bytes read (`partial`).
   */
  readexactly(n: number): Coroutine<Uint8Array> {
    checkInteger("readexactly()", "n", n, 0);
    return new Coroutine(
      this.#readexactly,
      this,
      n,
      "StreamReader.readexactly",
    );
  }

  async #readexactly(n: number): Promise<Uint8Array> {
    this.#throwIfFailed();
    if (n === 0) return new Uint8Array(0);
    while (this.#buffer.length < n) {
      if (this.#eof) {
        throw new IncompleteReadError(this.#buffer.take(Infinity), n);
      }
      await this.#waitForData("readexactly");
    }
    const data = this.#buffer.take(n);
    this.#maybeResume();
    return data;
  }

  /**
   * Reads up to and including `separator` (default `\n`), or the first of
   * several separators given as an array (the shortest match wins, as in
   * Python 3.13). If the stream ends first, throws `IncompleteReadError`
   * with what was read; if no separator is within `limit` bytes, throws
   * `LimitOverrunError` and leaves the data in the buffer.
   */
  readuntil(
    separator:
      | Uint8Array
      | string
      | readonly (Uint8Array | string)[] = NEWLINE,
  ): Coroutine<Uint8Array> {
    const seps = (Array.isArray(separator) ? separator : [separator])
      .map((sep) => toBytes(sep, "readuntil()", "separator"))
      .sort((a, b) => a.length - b.length);
    if (seps.length === 0) {
      throw new RangeError("Separator should contain at least one element");
    }
    if (seps[0].length === 0) {
      throw new RangeError("Separator should be at least one-byte string");
    }
    return new Coroutine(this.#readuntil, this, seps, "StreamReader.readuntil");
  }

  async #readuntil(seps: Uint8Array[]): Promise<Uint8Array> {
    this.#throwIfFailed();
    const minLength = seps[0].length;
    const maxLength = seps[seps.length - 1].length;
    // How far the buffer is known to hold no separator.
    let offset = 0;
    let matchStart = -1;
    let matchEnd = -1;
    for (;;) {
      const length = this.#buffer.length;
      if (length - offset >= minLength) {
        for (const sep of seps) {
          const at = this.#buffer.indexOf(sep, offset);
          if (at !== -1 && (matchEnd === -1 || at + sep.length < matchEnd)) {
            matchStart = at;
            matchEnd = at + sep.length;
          }
        }
        if (matchEnd !== -1) break;
        offset = Math.max(0, length + 1 - maxLength);
        if (offset > this.limit) {
          throw new LimitOverrunError(
            "Separator is not found, and chunk exceed the limit",
            offset,
          );
        }
      }
      // A separator may have come with the last data: EOF is checked after.
      if (this.#eof) {
        throw new IncompleteReadError(this.#buffer.take(Infinity), null);
      }
      await this.#waitForData("readuntil");
    }
    if (matchStart > this.limit) {
      throw new LimitOverrunError(
        "Separator is found, but chunk is longer than limit",
        matchStart,
      );
    }
    const chunk = this.#buffer.take(matchEnd);
    this.#maybeResume();
    return chunk;
  }

  /** `for await (const line of reader)`: lines until the end. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array, void, undefined> {
    for (;;) {
      const line = await this.readline();
      if (line.length === 0) return;
      yield line;
    }
  }

  /** Python's repr. */
  toString(): string {
    const info = [`<StreamReader`];
    if (this.#buffer.length > 0) info.push(`${this.#buffer.length} bytes`);
    if (this.#eof) info.push("eof");
    if (this.limit !== DEFAULT_LIMIT) info.push(`limit=${this.limit}`);
    if (this.#waiter !== null && !this.#waiter.done()) info.push("waiter");
    if (this.#exception !== null) info.push(`exception=${this.#exception}`);
    if (this.#paused) info.push("paused");
    return `${info.join(" ")}>`;
  }

  #throwIfFailed(): void {
    if (this.#exception !== null) throw this.#exception;
  }

  #wakeup(): void {
    const waiter = this.#waiter;
    if (waiter !== null) {
      this.#waiter = null;
      if (!waiter.cancelled()) waiter.setResult();
    }
  }

  #maybeResume(): void {
    if (this.#paused && this.#buffer.length <= this.limit) {
      this.#paused = false;
      this.#transport!.resumeReading();
    }
  }

  // Not an async function: read methods await the future itself, one
  // frame less per wait. A cancelled read leaves a done waiter behind.
  #waitForData(method: string): Future<void> {
    const pending = this.#waiter;
    if (pending !== null && !pending.done()) {
      throw new Error(
        `${method}() called while another coroutine is already waiting for incoming data`,
      );
    }
    if (this.#paused) {
      this.#paused = false;
      this.#transport!.resumeReading();
    }
    return this.#waiter = this.#loop.createFuture<void>();
  }
}

const NEWLINE = new Uint8Array([10]);
const ONE_NEWLINE = [NEWLINE];

function concat(blocks: Uint8Array[], size: number): Uint8Array {
  if (blocks.length === 1) return blocks[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const block of blocks) {
    out.set(block, at);
    at += block.length;
  }
  return out;
}

/**
 * What {@link StreamReader.statistics} returns.
 *
 * @example
 * ```ts
 * import { run, StreamReader, type StreamReaderStatistics } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const reader = new StreamReader();
 *   reader.feedData(new TextEncoder().encode("abc"));
 *   const stats: StreamReaderStatistics = reader.statistics();
 *   console.log(stats.bufferedBytes); // 3
 * });
 * ```
 */
export interface StreamReaderStatistics {
  /** Bytes received and not read yet. */
  bufferedBytes: number;
  /** Whether the reader paused its transport (too much unread data). */
  readingPaused: boolean;
  /** Whether the end of the stream was fed. */
  eof: boolean;
}

/**
 * Writes bytes to a connection or pipe (Python's `asyncio.StreamWriter`).
 * `write` buffers and returns at once; `await drain()` waits while the
 * buffer is above its high-water mark (64 KiB), so a slow peer slows the
 * writer down instead of filling memory. `await using` closes it.
 *
 * @example
 * ```ts ignore
 * import { openConnection, run } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const [reader, writer] = await openConnection("example.com", 80);
 *   writer.write("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
 *   await writer.drain();
 *   console.log(new TextDecoder().decode(await reader.readline()));
 *   writer.close();
 *   await writer.waitClosed();
 * });
 * ```
 */
export class StreamWriter {
  readonly #transport: Transport;
  readonly #reader: StreamReader | null;

  /**
   * Writes through `transport`; `reader` (the same connection's) lets
   * `drain()` report the connection's error.
   */
  constructor(transport: Transport, reader: StreamReader | null = null) {
    this.#transport = transport;
    this.#reader = reader;
  }

  /** The transport underneath (Python's `writer.transport`). */
  get transport(): Transport {
    return this.#transport;
  }

  /** Buffers `data` (bytes, or a string sent as UTF-8) to be sent. */
  write(data: Uint8Array | string): void {
    this.#transport.write(toBytes(data, "write()", "data"));
  }

  /** Writes each item of `lines`, in order. */
  writelines(lines: Iterable<Uint8Array | string>): void {
    for (const line of lines) this.write(line);
  }

  /** Closes the sending side once the buffer is written. */
  writeEof(): void {
    this.#transport.writeEof();
  }

  /** True if `writeEof` works (not over TLS). */
  canWriteEof(): boolean {
    return this.#transport.canWriteEof();
  }

  /**
   * Waits until the buffer is below its low-water mark. Throws the
   * connection's error if it was lost.
   */
  drain(): Coroutine<void> {
    return new Coroutine(this.#drain, this, undefined, "StreamWriter.drain");
  }

  #drain(): Promise<void> {
    // The common cases without an async function.
    const error = this.#reader?.exception();
    if (error !== null && error !== undefined) return Promise.reject(error);
    if (this.#transport.isClosing()) return this.#drainClosing();
    const wait = this.#transport[kDrain]();
    return wait === null ? RESOLVED : this.#drainWait(wait);
  }

  async #drainWait(wait: PromiseLike<void>): Promise<void> {
    await wait;
  }

  // As in Python: yield once, so that a closed connection's error is seen.
  async #drainClosing(): Promise<void> {
    await sleep(0);
    await this.#transport[kDrain]();
  }

  /** Closes the connection once the buffer is written. */
  close(): void {
    this.#transport.close();
  }

  /** True once `close()` was called or the connection was lost. */
  isClosing(): boolean {
    return this.#transport.isClosing();
  }

  /** Waits until the connection is closed (a coroutine). */
  waitClosed(): Coroutine<void> {
    return new Coroutine(
      this.#waitClosed,
      this,
      undefined,
      "StreamWriter.waitClosed",
    );
  }

  async #waitClosed(): Promise<void> {
    await this.#transport.waitClosed();
  }

  /**
   * Connection details: `"peername"` and `"sockname"` (`[host, port]`, or
   * a path for Unix sockets), `"socket"` (the Deno connection).
   */
  getExtraInfo(name: string, fallback: unknown = null): unknown {
    return this.#transport.getExtraInfo(name, fallback);
  }

  /** `await using writer`: closes and waits. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.waitClosed();
  }

  /** Python's repr. */
  toString(): string {
    return `<StreamWriter transport=${
      this.#transport.isClosing() ? "closing" : "open"
    }${this.#reader ? ` reader=${this.#reader}` : ""}>`;
  }
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

function addressOf(addr: Deno.Addr): unknown {
  // A TLS connection's addresses have no `transport`: go by their fields.
  if ("hostname" in addr) return [addr.hostname, addr.port];
  return (addr as Deno.UnixAddr).path ?? "";
}

/** Reader, transport and writer for a Deno connection. */
export function streamsFor(
  conn: Deno.Conn,
  loop: AbstractEventLoop,
  limit: number,
  onClose: ((transport: Transport) => void) | null = null,
  tls = false,
): [StreamReader, StreamWriter] {
  const reader = new StreamReader({ limit, loop });
  const transport = new Transport(conn, {
    loop,
    reader,
    // TLS cannot half-close (as in Python), though Deno's TlsConn has closeWrite.
    canWriteEof: !tls,
    extra: {
      peername: addressOf(conn.remoteAddr),
      sockname: addressOf(conn.localAddr),
      socket: conn,
    },
    onClose,
  });
  return [reader, new StreamWriter(transport, reader)];
}

/** Awaits a host promise as loop I/O; a cancelled wait closes its result. */
async function connecting<C extends Deno.Conn>(
  loop: AbstractEventLoop,
  connect: () => Promise<C>,
): Promise<C> {
  const fut = loop.createFuture<C>();
  countIo(loop, connect()).then(
    (conn) => {
      if (fut.done()) conn.close();
      else fut.setResult(conn);
    },
    (error) => {
      if (!fut.done()) fut.setException(error);
    },
  );
  return await fut;
}

/**
 * TLS settings: `true` verifies the server against the system's roots;
 * an object adds CA certificates (PEM) to trust.
 *
 * @example
 * ```ts
 * import type { ClientTls } from "@aio/asyncio";
 *
 * const choices: ClientTls[] = [true, { caCerts: ["-----BEGIN CERTIFICATE-----\n..."] }];
 * console.log(choices.length); // 2
 * ```
 */
export type ClientTls = true | { caCerts?: string[] };

/**
 * Options of {@link openConnection}.
 *
 * @example
 * ```ts
 * import type { OpenConnectionOptions } from "@aio/asyncio";
 *
 * const options: OpenConnectionOptions = { ssl: true, limit: 1 << 20 };
 * console.log(options.limit); // 1048576
 * ```
 */
export interface OpenConnectionOptions {
  /** TLS: `true`, or `{ caCerts }` to trust more CAs. */
  ssl?: ClientTls | false | null;
  /** The host name the server's certificate must have (default: host). */
  serverHostname?: string;
  /** The reader's limit (default 64 KiB). */
  limit?: number;
}

/**
 * Opens a TCP connection (TLS with `ssl`) and returns its reader and
 * writer: Python's `asyncio.open_connection`.
 *
 * @example
 * ```ts ignore
 * import { openConnection, run } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const [reader, writer] = await openConnection("example.com", 443, { ssl: true });
 *   writer.write("HEAD / HTTP/1.1\r\nHost: example.com\r\n\r\n");
 *   console.log(new TextDecoder().decode(await reader.readline())); // HTTP/1.1 200 OK
 *   writer.close();
 *   await writer.waitClosed();
 * });
 * ```
 */
export function openConnection(
  host: string,
  port: number,
  options: OpenConnectionOptions = {},
): Coroutine<[StreamReader, StreamWriter]> {
  const limit = checkLimit("openConnection()", options.limit ?? DEFAULT_LIMIT);
  checkPort("openConnection()", port);
  if (!options.ssl && options.serverHostname !== undefined) {
    throw new RangeError(
      "openConnection(): options.serverHostname is only meaningful with ssl",
    );
  }
  return new Coroutine(
    connect,
    null,
    { host, port, limit, options },
    "openConnection",
  );
}

async function connect(
  { host, port, limit, options }: {
    host: string;
    port: number;
    limit: number;
    options: OpenConnectionOptions;
  },
): Promise<[StreamReader, StreamWriter]> {
  const loop = getRunningLoop();
  const { ssl, serverHostname } = options;
  let conn: Deno.Conn;
  if (ssl) {
    const caCerts = ssl === true ? undefined : ssl.caCerts;
    const tcp = await connecting(
      loop,
      () => Deno.connect({ hostname: host, port }),
    );
    conn = await connecting(loop, async () => {
      const tls = await Deno.startTls(tcp, {
        hostname: serverHostname ?? host,
        caCerts,
      });
      try {
        await tls.handshake();
      } catch (error) {
        tls.close();
        throw error;
      }
      return tls;
    });
  } else {
    conn = await connecting(loop, () => Deno.connect({ hostname: host, port }));
  }
  return streamsFor(conn, loop, limit, null, Boolean(ssl));
}

/**
 * Opens a Unix-socket connection: Python's `asyncio.open_unix_connection`.
 *
 * @example
 * ```ts ignore
 * import { openUnixConnection, run } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const [reader, writer] = await openUnixConnection("/tmp/echo.sock");
 *   writer.write("ping\n");
 *   console.log(new TextDecoder().decode(await reader.readline()));
 *   writer.close();
 * });
 * ```
 */
export function openUnixConnection(
  path: string,
  options: { limit?: number } = {},
): Coroutine<[StreamReader, StreamWriter]> {
  const limit = checkLimit(
    "openUnixConnection()",
    options.limit ?? DEFAULT_LIMIT,
  );
  return new Coroutine(
    async function openUnixConnection() {
      const loop = getRunningLoop();
      const conn = await connecting(
        loop,
        () => Deno.connect({ transport: "unix", path }),
      );
      return streamsFor(conn, loop, limit);
    },
    null,
    undefined,
    "openUnixConnection",
  );
}

function checkPort(call: string, port: unknown): void {
  if (typeof port !== "number") {
    throw typeError(call, "port", "an integer 0-65535", port);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw rangeError(call, "port", "an integer 0-65535", port);
  }
}

/**
 * Called with each client's reader and writer (may be async).
 *
 * @example
 * ```ts
 * import type { ClientConnected } from "@aio/asyncio";
 *
 * const greet: ClientConnected = async (_reader, writer) => {
 *   writer.write("hello\n");
 *   await writer.drain();
 *   writer.close();
 * };
 * console.log(typeof greet); // function
 * ```
 */
export type ClientConnected = (
  reader: StreamReader,
  writer: StreamWriter,
) => unknown;

/**
 * A listening socket's address, as `server.sockets` lists them.
 *
 * @example
 * ```ts ignore
 * const [host, port] = server.sockets[0].getsockname() as [string, number];
 * ```
 */
export interface ServerSocket {
  /** `[host, port]`, or the path of a Unix socket. */
  getsockname(): unknown;
  /** The Deno address. */
  readonly addr: Deno.Addr;
}

/**
 * TLS settings of a server: its certificate chain and key (PEM).
 *
 * @example
 * ```ts
 * import type { ServerTls } from "@aio/asyncio";
 *
 * const tls: ServerTls = { cert: "-----BEGIN CERTIFICATE-----...", key: "-----BEGIN PRIVATE KEY-----..." };
 * console.log(typeof tls.cert); // string
 * ```
 */
export interface ServerTls {
  /** The certificate chain, PEM. */
  cert: string;
  /** The private key, PEM. */
  key: string;
}

/**
 * Options of {@link startServer}.
 *
 * @example
 * ```ts
 * import type { StartServerOptions } from "@aio/asyncio";
 *
 * const options: StartServerOptions = { limit: 1024, startServing: true };
 * console.log(options.limit); // 1024
 * ```
 */
export interface StartServerOptions {
  /** TLS: the server's certificate and key. */
  ssl?: ServerTls | null;
  /** Each client reader's limit (default 64 KiB). */
  limit?: number;
  /** Accepted for Python's sake; Deno picks the listen backlog. */
  backlog?: number;
  /** Start accepting at once (default true); else `startServing()`. */
  startServing?: boolean;
}

/**
 * A listening server (Python's `asyncio.Server`): each client is handled
 * by `clientConnected(reader, writer)` in its own task. `close()` stops
 * listening; `closeClients()` also closes the clients' connections and
 * cancels their tasks; `waitClosed()` waits for both; `await using`
 * does all of it.
 *
 * @example
 * ```ts
 * import { openConnection, run, startServer, type StreamReader, type StreamWriter } from "@aio/asyncio";
 *
 * async function echo(reader: StreamReader, writer: StreamWriter) {
 *   writer.write(await reader.readline());
 *   await writer.drain();
 *   writer.close();
 * }
 *
 * await run(async () => {
 *   await using server = await startServer(echo, "127.0.0.1", 0);
 *   const [, port] = server.sockets[0].getsockname() as [string, number];
 *   const [reader, writer] = await openConnection("127.0.0.1", port);
 *   writer.write("hello\n");
 *   console.log(new TextDecoder().decode(await reader.readline())); // hello
 *   writer.close();
 *   await writer.waitClosed();
 * });
 * ```
 */
export class Server {
  readonly #loop: AbstractEventLoop;
  readonly #listener: Deno.Listener;
  readonly #clientConnected: ClientConnected;
  readonly #limit: number;
  readonly #tls: boolean;
  readonly #handshaking = new Set<Deno.Conn>();
  readonly #transports = new Set<Transport>();
  readonly #tasks = new Set<Task<unknown>>();
  #serving = false;
  #closed = false;
  #accepting: Promise<void> | null = null;
  readonly #closedWaiters: WaiterQueue<void>;
  #serveForever: Future<void> | null = null;

  /** Made by `startServer` and `startUnixServer`. */
  constructor(
    loop: AbstractEventLoop,
    listener: Deno.Listener,
    clientConnected: ClientConnected,
    limit: number,
    tls = false,
  ) {
    this.#tls = tls;
    this.#loop = loop;
    this.#listener = listener;
    this.#clientConnected = clientConnected;
    this.#limit = limit;
    this.#closedWaiters = new WaiterQueue(new LoopBinding(this, loop));
  }

  /** The listening sockets (one here), for their addresses. */
  get sockets(): ServerSocket[] {
    if (this.#closed) return [];
    const addr = this.#listener.addr;
    return [{ addr, getsockname: () => addressOf(addr) }];
  }

  /** The loop the server runs on. */
  getLoop(): AbstractEventLoop {
    return this.#loop;
  }

  /** True while the server accepts connections. */
  isServing(): boolean {
    return this.#serving && !this.#closed;
  }

  /** Starts accepting connections (when created with `startServing: false`). */
  startServing(): Coroutine<void> {
    return new Coroutine(
      this.#startServing,
      this,
      undefined,
      "Server.startServing",
    );
  }

  #startServing(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (!this.#serving) {
      this.#serving = true;
      // The accept loop is host code, outside any task's context.
      this.#accepting = outsideTasks(() => this.#accept());
    }
    return Promise.resolve();
  }

  /** Accepts connections until the calling task is cancelled (a coroutine). */
  serveForever(): Coroutine<void> {
    return new Coroutine(
      this.#serveForeverBody,
      this,
      undefined,
      "Server.serveForever",
    );
  }

  async #serveForeverBody(): Promise<void> {
    if (this.#serveForever !== null) {
      throw new Error(
        `server ${this} is already being awaited on serveForever()`,
      );
    }
    if (this.#closed) throw new Error(`server ${this} is closed`);
    await this.#startServing();
    this.#serveForever = this.#loop.createFuture<void>();
    try {
      await this.#serveForever;
    } finally {
      this.close();
      await this.waitClosed();
      this.#serveForever = null;
    }
  }

  /** Stops listening; connections already accepted go on. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#serving = false;
    try {
      this.#listener.close();
    } catch {
      // already closed
    }
    for (const conn of this.#handshaking) closeQuietly(conn);
    this.#handshaking.clear();
    this.#serveForever?.cancel();
    this.#wakeIfDone();
  }

  /** Closes the clients' connections and cancels their tasks. */
  closeClients(): void {
    for (const transport of [...this.#transports]) transport.close();
    for (const task of [...this.#tasks]) task.cancel();
  }

  /** Drops the clients' connections at once, and cancels their tasks. */
  abortClients(): void {
    for (const transport of [...this.#transports]) transport.abort();
    for (const task of [...this.#tasks]) task.cancel();
  }

  /** Waits until the server is closed and its connections are done (a coroutine). */
  waitClosed(): Coroutine<void> {
    return new Coroutine(
      this.#waitClosed,
      this,
      undefined,
      "Server.waitClosed",
    );
  }

  async #waitClosed(): Promise<void> {
    if (this.#closed && this.#transports.size === 0 && this.#tasks.size === 0) {
      await this.#accepting;
      return;
    }
    await this.#closedWaiters.park();
    await this.#accepting;
  }

  /** `await using server`: close, close the clients, wait. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    this.closeClients();
    await this.waitClosed();
  }

  /** Python's repr. */
  toString(): string {
    return `<Server sockets=${
      JSON.stringify(this.sockets.map((s) => s.getsockname()))
    }>`;
  }

  async #accept(): Promise<void> {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.#closed) return;
        if (
          error instanceof Deno.errors.BadResource ||
          error instanceof Deno.errors.Interrupted
        ) return;
        // A failed handshake or a reset before accept: keep serving.
        continue;
      }
      if (this.#closed) {
        conn.close();
        return;
      }
      if (this.#tls) {
        // As in Python, a client whose handshake fails never reaches the
        // handler; the others are handled once their handshake is done.
        this.#handshaking.add(conn);
        (conn as Deno.TlsConn).handshake().then(
          () => {
            this.#handshaking.delete(conn);
            if (this.#closed || this.#loop.isClosed()) closeQuietly(conn);
            else this.#loop.callSoonThreadsafe(() => this.#connected(conn));
          },
          () => {
            this.#handshaking.delete(conn);
            closeQuietly(conn);
          },
        );
        continue;
      }
      this.#loop.callSoonThreadsafe(() => this.#connected(conn));
    }
  }

  #connected(conn: Deno.Conn): void {
    const [reader, writer] = streamsFor(
      conn,
      this.#loop,
      this.#limit,
      (transport) => {
        this.#transports.delete(transport);
        this.#wakeIfDone();
      },
      this.#tls,
    );
    this.#transports.add(writer.transport);
    const task = this.#loop.createTask(async () => {
      await this.#clientConnected(reader, writer);
    });
    this.#tasks.add(task);
    task.addDoneCallback(() => {
      this.#tasks.delete(task);
      if (!task.cancelled()) {
        const error = task.exception();
        if (error !== null && error !== undefined) {
          this.#loop.callExceptionHandler({
            message: "Unhandled exception in the clientConnected callback",
            exception: error,
            transport: writer.transport,
          } as never);
          writer.transport.close();
        }
      }
      this.#wakeIfDone();
    });
  }

  #wakeIfDone(): void {
    if (!this.#closed || this.#transports.size > 0 || this.#tasks.size > 0) {
      return;
    }
    this.#closedWaiters.wakeAll();
  }
}

/**
 * Starts a TCP server (TLS with `ssl`) on `host` and `port` (0: any free
 * port, see `server.sockets`): Python's `asyncio.start_server`. Each
 * client is handled by `clientConnected(reader, writer)` in its own task.
 *
 * @example
 * ```ts
 * import { run, startServer } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const server = await startServer(() => {}, "127.0.0.1", 0);
 *   console.log(server.isServing()); // true
 *   server.close();
 *   await server.waitClosed();
 * });
 * ```
 */
export function startServer(
  clientConnected: ClientConnected,
  host: string | null = null,
  port = 0,
  options: StartServerOptions = {},
): Coroutine<Server> {
  if (typeof clientConnected !== "function") {
    throw typeError(
      "startServer()",
      "clientConnected",
      "a function (the handler comes first: startServer(handler, host, port))",
      clientConnected,
    );
  }
  checkPort("startServer()", port);
  const limit = checkLimit("startServer()", options.limit ?? DEFAULT_LIMIT);
  return new Coroutine(
    async function startServer() {
      const loop = getRunningLoop();
      const hostname = host ?? "0.0.0.0";
      const listener = options.ssl
        ? Deno.listenTls({
          hostname,
          port,
          cert: options.ssl.cert,
          key: options.ssl.key,
        })
        : Deno.listen({ hostname, port });
      const server = new Server(
        loop,
        listener,
        clientConnected,
        limit,
        Boolean(options.ssl),
      );
      if (options.startServing !== false) await server.startServing();
      return server;
    },
    null,
    undefined,
    "startServer",
  );
}

/**
 * Starts a Unix-socket server at `path`: Python's
 * `asyncio.start_unix_server`.
 *
 * @example
 * ```ts ignore
 * import { run, startUnixServer } from "@aio/asyncio";
 *
 * await run(async () => {
 *   await using server = await startUnixServer(async (reader, writer) => {
 *     writer.write(await reader.readline());
 *     writer.close();
 *   }, "/tmp/echo.sock");
 *   await server.serveForever();
 * });
 * ```
 */
export function startUnixServer(
  clientConnected: ClientConnected,
  path: string,
  options: Omit<StartServerOptions, "ssl"> = {},
): Coroutine<Server> {
  if (typeof clientConnected !== "function") {
    throw typeError(
      "startUnixServer()",
      "clientConnected",
      "a function (the handler comes first: startUnixServer(handler, path))",
      clientConnected,
    );
  }
  const limit = checkLimit("startUnixServer()", options.limit ?? DEFAULT_LIMIT);
  return new Coroutine(
    async function startUnixServer() {
      const loop = getRunningLoop();
      const listener = Deno.listen({ transport: "unix", path });
      const server = new Server(loop, listener, clientConnected, limit);
      if (options.startServing !== false) await server.startServing();
      return server;
    },
    null,
    undefined,
    "startUnixServer",
  );
}
