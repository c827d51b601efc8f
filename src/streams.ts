/**
 * Streams: `openConnection`, `startServer` and their Unix-socket forms,
 * with `StreamReader` and `StreamWriter` (Python's `asyncio.streams`), over
 * `Deno.connect`, `Deno.startTls`, `Deno.listen` and `Deno.listenTls`;
 * `StreamWriter.startTls` and TLS over Unix sockets use node:tls.
 *
 * @module
 */
import { ByteBuffer } from "./_bytebuffer.ts";
import { Coroutine } from "./coroutines.ts";
import { outsideTasks } from "./_context.ts";
import { pyRepr } from "./_repr.ts";
import { checkInteger, rangeError, typeError } from "./_validate.ts";
import { LoopBinding, WaiterQueue } from "./_waiters.ts";
import {
  type BufferedProtocol,
  kDrain,
  kProtocol,
  kStartTls,
  type TlsSettings,
  Transport,
} from "./transports.ts";
import { IncompleteReadError, LimitOverrunError } from "./errors.ts";
import {
  type AbstractEventLoop,
  countIo,
  getEventLoop,
  getRunningLoop,
  internal,
  kCloseWith,
  runningLoopOrNull,
} from "./events.ts";
import type { Future } from "./futures.ts";
import { sleep, type Task } from "./tasks.ts";

const DEFAULT_LIMIT = 64 * 1024;
const RESOLVED = Promise.resolve();
// A read gets a new array rather than less than this much space.
const READ_SPACE_MIN = 16 * 1024;
const encoder = new TextEncoder();

// Which end of a connection a writer is (StreamWriter[kEndpoint]).
const kEndpoint: unique symbol = Symbol("endpoint");

interface Endpoint {
  /** A server's connection (startTls takes the server's certificate). */
  serverSide: boolean;
  /** The host name the client connected to, for certificate checks. */
  host: string | null;
}

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
   * `IncompleteReadError` with the bytes read (`partial`). A negative `n`
   * is a `RangeError` (Python's "can not be less than zero" ValueError).
   */
  readexactly(n: number): Coroutine<Uint8Array> {
    // Python's words ("less than zero") in the library's voice.
    const what = "an integer not less than zero";
    if (typeof n !== "number") throw typeError("readexactly()", "n", what, n);
    if (!Number.isInteger(n) || n < 0) {
      throw rangeError("readexactly()", "n", what, n);
    }
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

  /**
   * Python's repr: `<StreamReader 4 bytes eof limit=123
   * waiter=<Future pending> exception=Error('boom') transport=<Transport
   * ...> paused>`, each part only when it applies.
   */
  toString(): string {
    const info = [`<StreamReader`];
    if (this.#buffer.length > 0) info.push(`${this.#buffer.length} bytes`);
    if (this.#eof) info.push("eof");
    if (this.limit !== DEFAULT_LIMIT) info.push(`limit=${this.limit}`);
    // A cancelled read leaves its done waiter behind (Python clears it).
    if (this.#waiter !== null && !this.#waiter.done()) {
      info.push(`waiter=${this.#waiter}`);
    }
    if (this.#exception !== null) {
      info.push(`exception=${pyRepr(this.#exception)}`);
    }
    if (this.#transport !== null) info.push(`transport=${this.#transport}`);
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
   * @ignore Which end of the connection this writer is, set by the
   * library for the writers it makes: the default side and host name of
   * `startTls()`.
   */
  [kEndpoint]: Endpoint | null = null;

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
   * a path for Unix sockets), `"socket"` (the Deno connection under any
   * TLS), `"sslcontext"` (the TLS settings of a TLS connection, else
   * null).
   */
  getExtraInfo(name: string, fallback: unknown = null): unknown {
    return this.#transport.getExtraInfo(name, fallback);
  }

  /**
   * Upgrades the connection to TLS in place (Python's
   * `writer.start_tls()`, for STARTTLS protocols): what was written before
   * is sent in clear, then the TLS handshake runs and from then on
   * everything is encrypted; the reader keeps the bytes it holds, and
   * `writer.transport` stays the same object. A client passes `true` or
   * `{ caCerts }` (and `serverHostname`, by default the host it connected
   * to); a server's handler passes its `{ cert, key }`. If the handshake
   * fails (or the wait is cancelled), the connection is closed, as in
   * Python. A coroutine.
   */
  startTls(
    ssl: ClientTls | ServerTls,
    options: StartTlsOptions = {},
  ): Coroutine<void> {
    const settings = tlsSettings(
      "startTls()",
      ssl,
      options,
      this[kEndpoint],
      this.#transport,
    );
    return new Coroutine(
      this.#startTls,
      this,
      settings,
      "StreamWriter.startTls",
    );
  }

  async #startTls(settings: TlsSettings): Promise<void> {
    // As Python does: what is buffered beyond the high-water mark first.
    await this.#drain();
    const loop = getRunningLoop();
    const upgraded = loop.createFuture<void>();
    // Not counted as I/O for the virtual clock: like a read, a handshake
    // waits on the peer's program (its own startTls() call), which may be
    // waiting for virtual time to pass.
    this.#transport[kStartTls](settings).then(
      () => {
        if (!upgraded.done()) upgraded.setResult();
      },
      (error) => {
        if (!upgraded.done()) upgraded.setException(error);
      },
    );
    try {
      await upgraded;
    } catch (error) {
      // Python closes the transport when start_tls() is interrupted; the
      // upgrade's own failure closed it already.
      if (upgraded.cancelled()) this.#transport.abort();
      throw error;
    }
  }

  /** `await using writer`: closes and waits. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.waitClosed();
  }

  /** Python's repr: `<StreamWriter transport=<Transport ...> reader=...>`. */
  toString(): string {
    return `<StreamWriter transport=${this.#transport}${
      this.#reader ? ` reader=${this.#reader}` : ""
    }>`;
  }
}

/**
 * Options of {@link StreamWriter.startTls}.
 *
 * @example
 * ```ts
 * import type { StartTlsOptions } from "@aio/asyncio";
 *
 * const options: StartTlsOptions = { serverHostname: "mail.example.com" };
 * console.log(options.serverHostname); // mail.example.com
 * ```
 */
export interface StartTlsOptions {
  /**
   * The name the server's certificate must have (client side only). By
   * default the host given to `openConnection` (or the peer's address);
   * required over a Unix socket.
   */
  serverHostname?: string;
}

function isServerTls(ssl: object): boolean {
  return "cert" in ssl || "key" in ssl;
}

/** Checks `ssl` and `options` of a TLS upgrade; what the transport needs. */
function tlsSettings(
  call: string,
  ssl: unknown,
  options: StartTlsOptions,
  endpoint: Endpoint | null,
  transport: Transport | null,
): TlsSettings {
  const what = "true, { caCerts } (a client) or { cert, key } (a server)";
  if (ssl !== true && (typeof ssl !== "object" || ssl === null)) {
    throw typeError(call, "ssl", what, ssl);
  }
  const serverSide = endpoint?.serverSide ?? (ssl !== true && isServerTls(ssl));
  const { serverHostname } = options;
  if (serverHostname !== undefined && typeof serverHostname !== "string") {
    throw typeError(call, "options.serverHostname", "a string", serverHostname);
  }
  if (serverSide) {
    if (ssl === true || !isServerTls(ssl)) {
      throw typeError(
        call,
        "ssl",
        "the server's { cert, key } (PEM) on a server's connection",
        ssl,
      );
    }
    const { cert, key } = ssl as ServerTls;
    if (typeof cert !== "string") {
      throw typeError(call, "ssl.cert", "a PEM string", cert);
    }
    if (typeof key !== "string") {
      throw typeError(call, "ssl.key", "a PEM string", key);
    }
    if (serverHostname !== undefined) {
      throw rangeError(
        call,
        "options.serverHostname",
        "left out on a server's connection (it names the server)",
        serverHostname,
      );
    }
    return { serverSide, ssl: ssl as ServerTls, serverHostname: null };
  }
  if (ssl !== true) {
    if (isServerTls(ssl)) {
      throw typeError(
        call,
        "ssl",
        "true or { caCerts } on a client's connection",
        ssl,
      );
    }
    const { caCerts } = ssl as { caCerts?: unknown };
    if (
      caCerts !== undefined &&
      !(Array.isArray(caCerts) && caCerts.every((c) => typeof c === "string"))
    ) {
      throw typeError(call, "ssl.caCerts", "an array of PEM strings", caCerts);
    }
  }
  const peer = transport?.getExtraInfo("peername");
  const host = serverHostname ?? endpoint?.host ??
    (Array.isArray(peer) ? String(peer[0]) : null);
  if (host === null || host === "") {
    throw rangeError(
      call,
      "options.serverHostname",
      host === null
        ? "the name the server's certificate must have (this connection has no host name)"
        : "a host name, not empty",
      serverHostname,
    );
  }
  return { serverSide, ssl: ssl as ClientTls, serverHostname: host };
}

/** A TLS connection (from Deno.listenTls) has a handshake to wait for. */
function isTlsConn(conn: Deno.Conn): boolean {
  return typeof (conn as Partial<Deno.TlsConn>).handshake === "function";
}

/** Checks a listener given as `sock`: a Deno listener of `transport`. */
function checkSock(call: string, sock: unknown, transport: string): void {
  const listener = sock as Partial<Deno.Listener> | null;
  if (
    typeof sock !== "object" || listener === null ||
    typeof listener.accept !== "function" ||
    typeof listener.addr !== "object"
  ) {
    throw typeError(
      call,
      "options.sock",
      "a Deno.Listener (from Deno.listen or Deno.listenTls)",
      sock,
    );
  }
  const kind = listener.addr!.transport ??
    ("hostname" in listener.addr! ? "tcp" : "unix");
  if (kind !== transport) {
    throw new RangeError(
      `${call}: options.sock must be a ${transport} listener, got a ${kind} listener`,
    );
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

/** How {@link streamsFor} sets a connection up. */
export interface StreamsForOptions {
  /** Called once the connection is closed. */
  onClose?: ((transport: Transport) => void) | null;
  /** The TLS settings of a connection that is TLS already ("sslcontext"). */
  ssl?: ClientTls | ServerTls | null;
  /** A server's connection (for `startTls`). */
  serverSide?: boolean;
  /** The host name a client connected to (for `startTls`). */
  host?: string | null;
  /** Start with reading paused, until `transport.resumeReading()`. */
  paused?: boolean;
}

/** Reader, transport and writer for a Deno connection. */
export function streamsFor(
  conn: Deno.Conn,
  loop: AbstractEventLoop,
  limit: number,
  options: StreamsForOptions = {},
): [StreamReader, StreamWriter] {
  const reader = new StreamReader({ limit, loop });
  const tls = options.ssl != null;
  const extra: Record<string, unknown> = {
    peername: addressOf(conn.remoteAddr),
    sockname: addressOf(conn.localAddr),
    socket: conn,
  };
  // Absent, not null, on a plain connection: getExtraInfo's fallback.
  if (tls) extra.sslcontext = options.ssl;
  const transport = new Transport(conn, {
    loop,
    reader,
    // TLS cannot half-close (as in Python), though Deno's TlsConn has closeWrite.
    canWriteEof: !tls,
    extra,
    onClose: options.onClose ?? null,
    paused: options.paused ?? false,
  });
  const writer = new StreamWriter(transport, reader);
  writer[kEndpoint] = {
    serverSide: options.serverSide ?? false,
    host: options.host ?? null,
  };
  return [reader, writer];
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
  return streamsFor(conn, loop, limit, { ssl: ssl || null, host });
}

/**
 * Options of {@link openUnixConnection}.
 *
 * @example
 * ```ts
 * import type { OpenUnixConnectionOptions } from "@aio/asyncio";
 *
 * const options: OpenUnixConnectionOptions = {
 *   ssl: true,
 *   serverHostname: "db.internal",
 * };
 * console.log(options.serverHostname); // db.internal
 * ```
 */
export interface OpenUnixConnectionOptions {
  /** TLS over the socket: `true`, or `{ caCerts }` to trust more CAs. */
  ssl?: ClientTls | false | null;
  /** The name the server's certificate must have (required with ssl). */
  serverHostname?: string;
  /** The reader's limit (default 64 KiB). */
  limit?: number;
}

/**
 * Opens a Unix-socket connection: Python's `asyncio.open_unix_connection`.
 * With `ssl` (and `serverHostname`, which a socket path cannot stand
 * for), the connection is TLS: node:tls over the socket, as
 * `Deno.startTls` takes TCP connections only.
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
  options: OpenUnixConnectionOptions = {},
): Coroutine<[StreamReader, StreamWriter]> {
  const call = "openUnixConnection()";
  if (typeof path !== "string") {
    throw typeError(call, "path", "a socket path (a string)", path);
  }
  const limit = checkLimit(call, options.limit ?? DEFAULT_LIMIT);
  const { ssl, serverHostname } = options;
  if (!ssl && serverHostname !== undefined) {
    throw new RangeError(
      "openUnixConnection(): options.serverHostname is only meaningful with ssl",
    );
  }
  if (ssl && serverHostname === undefined) {
    // Python: "you have to pass server_hostname when using ssl".
    throw rangeError(
      call,
      "options.serverHostname",
      "given with ssl (a socket path names no host to check the certificate against)",
      serverHostname,
    );
  }
  // Checked now, at the call, rather than after connecting.
  const tls = ssl
    ? tlsSettings(call, ssl, { serverHostname }, null, null)
    : null;
  return new Coroutine(
    async function openUnixConnection() {
      const loop = getRunningLoop();
      const conn = await connecting(
        loop,
        () => Deno.connect({ transport: "unix", path }),
      );
      const streams = streamsFor(conn, loop, limit);
      if (tls !== null) {
        // A failed (or cancelled) handshake closes the connection.
        await streams[1].startTls(tls.ssl, {
          serverHostname: tls.serverHostname!,
        });
      }
      return streams;
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
  /**
   * A listener to serve on, made by the caller (Python's `sock=`): then
   * host and port (or path) are left out. The server owns it: `close()`
   * closes it. For TLS, pass a `Deno.listenTls` listener.
   */
  sock?: Deno.Listener | null;
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
  readonly #ssl: ServerTls | null;
  readonly #handshaking = new Set<Deno.Conn>();
  readonly #transports = new Set<Transport>();
  readonly #tasks = new Set<Task<unknown>>();
  #serving = false;
  #closed = false;
  #accepting: Promise<void> | null = null;
  readonly #unregister: () => void;
  readonly #closedWaiters: WaiterQueue<void>;
  #serveForever: Future<void> | null = null;

  /**
   * Made by `startServer` and `startUnixServer`. `tls` is true (or the
   * server's settings) when the listener is a TLS one; the connections of
   * a TLS listener are seen as such anyway.
   */
  constructor(
    loop: AbstractEventLoop,
    listener: Deno.Listener,
    clientConnected: ClientConnected,
    limit: number,
    tls: boolean | ServerTls = false,
  ) {
    this.#tls = Boolean(tls);
    this.#ssl = typeof tls === "object" ? tls : null;
    this.#loop = loop;
    this.#listener = listener;
    this.#clientConnected = clientConnected;
    this.#limit = limit;
    this.#closedWaiters = new WaiterQueue(new LoopBinding(this, loop));
    // A server outliving its loop would accept clients nobody can serve.
    this.#unregister = internal(loop)[kCloseWith](() => this.close());
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
    this.#unregister();
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
      if (this.#closed || this.#loop.isClosed()) {
        conn.close();
        return;
      }
      if (this.#tls || isTlsConn(conn)) {
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
    const tls = this.#tls || isTlsConn(conn);
    const [reader, writer] = streamsFor(conn, this.#loop, this.#limit, {
      onClose: (transport) => {
        this.#transports.delete(transport);
        this.#wakeIfDone();
      },
      // A TLS listener given as `sock`: its settings are not known here.
      ssl: tls ? this.#ssl ?? true : null,
      serverSide: true,
      // Reading starts once the handler's first step is over (below).
      paused: true,
    });
    this.#transports.add(writer.transport);
    const task = this.#loop.createTask(async () => {
      // As in CPython, nothing is read before the handler's first step
      // has run: a handler that calls startTls() at once (TLS on a Unix
      // socket, say) then gets the client's first TLS bytes, which would
      // otherwise land in the reader.
      this.#loop.callSoon(() => writer.transport.resumeReading());
      await this.#clientConnected(reader, writer);
    });
    this.#tasks.add(task);
    task.addDoneCallback(() => {
      this.#tasks.delete(task);
      if (!task.cancelled()) {
        const error = task.exception();
        if (error !== null && error !== undefined) {
          this.#loop.callExceptionHandler({
            // Python's words, as the loop's other messages are.
            // Python says client_connected_cb: the parameter's name here.
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
 * Starts a TCP server (TLS with `ssl`) on `host` and `port` (0 or left
 * out: any free port, see `server.sockets`; host left out: every
 * interface): Python's `asyncio.start_server`. Each client is handled by
 * `clientConnected(reader, writer)` in its own task. With `options.sock`,
 * it serves on a listener you made instead (then leave host and port
 * out: `startServer(handler, null, null, { sock })`).
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
 *
 *   // Python's sock=: serve on a listener made beforehand.
 *   const sock = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 *   const onSock = await startServer(() => {}, null, null, { sock });
 *   const [, port] = onSock.sockets[0].getsockname() as [string, number];
 *   console.log(port === (sock.addr as Deno.NetAddr).port); // true
 *   onSock.close(); // closes sock too
 *   await onSock.waitClosed();
 * });
 * ```
 */
export function startServer(
  clientConnected: ClientConnected,
  host: string | null = null,
  port: number | null = null,
  options: StartServerOptions = {},
): Coroutine<Server> {
  const call = "startServer()";
  if (typeof clientConnected !== "function") {
    throw typeError(
      call,
      "clientConnected",
      "a function (the handler comes first: startServer(handler, host, port))",
      clientConnected,
    );
  }
  const sock = options.sock ?? null;
  if (sock !== null) {
    checkSock(call, sock, "tcp");
    // Python: "host/port and sock can not be specified at the same time".
    if (host != null || port != null) {
      throw rangeError(
        call,
        host != null ? "host" : "port",
        "left out (null) when options.sock is given",
        host ?? port,
      );
    }
    if (options.ssl) {
      throw new RangeError(
        `${call}: options.ssl cannot be used with options.sock: ` +
          "listen with Deno.listenTls and pass that listener as sock",
      );
    }
  } else {
    if (host !== null && typeof host !== "string") {
      throw typeError(call, "host", "a host name or address, or null", host);
    }
    checkPort(call, port ?? 0);
  }
  const limit = checkLimit(call, options.limit ?? DEFAULT_LIMIT);
  return new Coroutine(
    async function startServer() {
      const loop = getRunningLoop();
      const hostname = host ?? "0.0.0.0";
      const listener = sock ?? (options.ssl
        ? Deno.listenTls({
          hostname,
          port: port ?? 0,
          cert: options.ssl.cert,
          key: options.ssl.key,
        })
        : Deno.listen({ hostname, port: port ?? 0 }));
      const server = new Server(
        loop,
        listener,
        clientConnected,
        limit,
        options.ssl ?? false,
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
 * `asyncio.start_unix_server`. With `options.sock` (a listener made by
 * `Deno.listen({ transport: "unix", path })`), it serves on that instead
 * and `path` is null.
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
  path: string | null,
  options: Omit<StartServerOptions, "ssl"> = {},
): Coroutine<Server> {
  const call = "startUnixServer()";
  if (typeof clientConnected !== "function") {
    throw typeError(
      call,
      "clientConnected",
      "a function (the handler comes first: startUnixServer(handler, path))",
      clientConnected,
    );
  }
  const sock = options.sock ?? null;
  if (sock !== null) {
    checkSock(call, sock, "unix");
    if (path != null) {
      throw rangeError(
        call,
        "path",
        "left out (null) when options.sock is given",
        path,
      );
    }
  } else if (typeof path !== "string") {
    throw typeError(call, "path", "a socket path (a string)", path);
  }
  const limit = checkLimit(call, options.limit ?? DEFAULT_LIMIT);
  return new Coroutine(
    async function startUnixServer() {
      const loop = getRunningLoop();
      const listener = sock ??
        Deno.listen({ transport: "unix", path: path as string });
      const server = new Server(loop, listener, clientConnected, limit);
      if (options.startServing !== false) await server.startServing();
      return server;
    },
    null,
    undefined,
    "startUnixServer",
  );
}
