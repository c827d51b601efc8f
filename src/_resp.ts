/**
 * A small Redis client of our own (RESP2 over `Deno.connect`), so that the
 * Redis executor needs no dependency: one connection, commands pipelined
 * (every command of one turn goes out in one write, replies are matched in
 * order), pub/sub messages handed to a callback. It reconnects on the next
 * command after a connection is lost; the commands that were in flight
 * then fail with {@link RedisConnectionError}, and their callers decide
 * whether to send them again (every user here does, with a backoff).
 *
 * @module
 */
import { utf8Length } from "./_codec.ts";
import type { RedisConnection } from "./redis_tasks.ts";

/** An error reply of Redis (`-ERR ...`, `-NOSCRIPT ...`). */
export class RedisReplyError extends Error {
  override name = "RedisReplyError";
}

/** The connection failed or was lost: the command may or may not have run. */
export class RedisConnectionError extends Error {
  override name = "RedisConnectionError";
}

/** Where to connect, from a `redis://` or `rediss://` URL. */
export interface RedisAddress {
  hostname: string;
  port: number;
  tls: boolean;
  username: string | null;
  password: string | null;
  db: number;
}

/**
 * Parses `redis://[[user]:password@]host[:port][/db]` (`rediss://` for
 * TLS); throws a TypeError naming `caller` for anything else.
 */
export function parseRedisUrl(url: string | URL, caller: string): RedisAddress {
  let u: URL;
  try {
    u = new URL(String(url));
  } catch {
    throw new TypeError(
      `${caller}: url must be a Redis URL such as "redis://127.0.0.1:6379", got ${
        JSON.stringify(String(url))
      }`,
    );
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") {
    throw new TypeError(
      `${caller}: url must start with redis:// or rediss://, got ${
        JSON.stringify(String(url))
      }`,
    );
  }
  const path = u.pathname.replace(/^\//, "");
  const db = path === "" ? 0 : Number(path);
  if (!Number.isInteger(db) || db < 0) {
    throw new TypeError(
      `${caller}: the database in ${
        JSON.stringify(String(url))
      } must be a number`,
    );
  }
  return {
    hostname: u.hostname.replace(/^\[(.*)\]$/, "$1") || "127.0.0.1",
    port: u.port === "" ? 6379 : Number(u.port),
    tls: u.protocol === "rediss:",
    username: u.username === "" ? null : decodeURIComponent(u.username),
    password: u.password === "" ? null : decodeURIComponent(u.password),
    db,
  };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One command in RESP (as text; encoded to UTF-8 with the others). */
function encodeCommand(args: readonly string[]): string {
  let out = `*${args.length}\r\n`;
  for (const arg of args) out += `$${utf8Length(arg)}\r\n${arg}\r\n`;
  return out;
}

const INCOMPLETE: unique symbol = Symbol("incomplete");

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** What a subscribed connection is told: channel and message. */
export type PushHandler = (channel: string, message: string) => void;

/**
 * One Redis connection, as `RedisTaskSource` takes it (`command(args)`),
 * opened on first use.
 */
export class RespConnection implements RedisConnection {
  readonly address: RedisAddress;
  readonly #label: string;
  #conn: Deno.Conn | null = null;
  #connecting: Promise<void> | null = null;
  #closed = false;
  // Sent (or about to be sent, in #outbox) and not answered, in order.
  #pending: Pending[] = [];
  #pendingHead = 0;
  #outbox: string[] = [];
  #writing = false;
  #flushScheduled = false;
  #reading: Promise<void> | null = null;
  // The read buffer: bytes [#start, #end) not parsed yet.
  #buf = new Uint8Array(64 * 1024);
  #start = 0;
  #end = 0;
  #pos = 0;
  // Bytes the reply at #start needs at least (so a big reply is not
  // parsed again at every chunk).
  #need = 0;
  #onPush: PushHandler | null = null;
  #subscribed = false;
  #refed = true;
  /** Called after each (re)connection, before any queued command runs. */
  onConnect: (() => void) | null = null;
  /** Called when an open connection is lost (not after close()). */
  onDisconnect: ((error: Error) => void) | null = null;

  constructor(url: string | URL | RedisAddress, label = "redis") {
    this.address = typeof url === "object" && !(url instanceof URL)
      ? url
      : parseRedisUrl(url, label);
    this.#label = label;
  }

  /** Whether a socket is open now. */
  get connected(): boolean {
    return this.#conn !== null;
  }

  /** Sends one command; resolves to its reply, rejects with an error reply. */
  command(args: string[]): Promise<unknown> {
    if (this.#closed) {
      return Promise.reject(
        new RedisConnectionError(`${this.#label}: the connection is closed`),
      );
    }
    const { promise, resolve, reject } = Promise.withResolvers<unknown>();
    this.#pending.push({ resolve, reject });
    this.#outbox.push(encodeCommand(args));
    if (this.#conn === null) this.#connect();
    else this.#scheduleFlush();
    return promise;
  }

  /**
   * Puts the connection in subscriber mode: `handler(channel, message)`
   * gets every message of the channels it subscribes to (send SUBSCRIBE
   * with `command`; after a reconnection, subscribe again in onConnect).
   */
  setPushHandler(handler: PushHandler): void {
    this.#onPush = handler;
    this.#subscribed = true;
  }

  /**
   * Whether the socket keeps the process alive (as a timer does): `unref()`
   * lets the process end while this connection waits (for a producer with
   * nothing pending).
   */
  ref(): void {
    this.#refed = true;
    (this.#conn as Deno.TcpConn | null)?.ref();
  }

  /** See `ref()`. */
  unref(): void {
    this.#refed = false;
    (this.#conn as Deno.TcpConn | null)?.unref();
  }

  /** Closes the socket; commands in flight fail. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#drop(new RedisConnectionError(`${this.#label}: closed`));
    await this.#connecting?.catch(() => {});
    await this.#reading;
  }

  /** `await using conn`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #connect(): void {
    if (this.#connecting !== null) return;
    this.#connecting = this.#open().finally(() => {
      this.#connecting = null;
    });
  }

  async #open(): Promise<void> {
    const { hostname, port, tls } = this.address;
    let conn: Deno.Conn;
    try {
      conn = tls
        ? await Deno.connectTls({ hostname, port })
        : await Deno.connect({ hostname, port });
    } catch (error) {
      this.#failAll(
        new RedisConnectionError(
          `${this.#label}: cannot connect to ${hostname}:${port}: ${
            error instanceof Error ? error.message : String(error)
          }`,
          { cause: error },
        ),
      );
      return;
    }
    if (this.#closed) {
      conn.close();
      return;
    }
    if (!tls) (conn as Deno.TcpConn).setNoDelay(true);
    if (!this.#refed) (conn as Deno.TcpConn).unref();
    this.#conn = conn;
    this.#start = this.#end = 0;
    this.#need = 0;
    // AUTH and SELECT go before what was queued while connecting.
    const setup: string[][] = [];
    const { username, password, db } = this.address;
    if (password !== null) {
      setup.push(
        username === null ? ["AUTH", password] : ["AUTH", username, password],
      );
    }
    if (db !== 0) setup.push(["SELECT", String(db)]);
    if (setup.length > 0) {
      const queued = this.#pending.splice(this.#pendingHead);
      const outbox = this.#outbox;
      this.#pending = [];
      this.#pendingHead = 0;
      this.#outbox = [];
      for (const args of setup) {
        this.command(args).catch(() => {}); // an error shows on the next
      }
      this.#pending.push(...queued);
      this.#outbox.push(...outbox);
    }
    this.#reading = this.#readLoop(conn);
    try {
      this.onConnect?.();
    } catch {
      // the hook's own business
    }
    this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#writing) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    const conn = this.#conn;
    if (conn === null || this.#writing || this.#outbox.length === 0) return;
    this.#writing = true;
    try {
      while (this.#outbox.length > 0 && this.#conn === conn) {
        const data = encoder.encode(
          this.#outbox.length === 1 ? this.#outbox[0] : this.#outbox.join(""),
        );
        this.#outbox = [];
        let written = 0;
        while (written < data.length) {
          written += await conn.write(data.subarray(written));
        }
      }
    } catch (error) {
      if (this.#conn === conn) this.#lost(error);
    } finally {
      this.#writing = false;
    }
    if (this.#outbox.length > 0 && this.#conn !== null) this.#scheduleFlush();
  }

  async #readLoop(conn: Deno.Conn): Promise<void> {
    let why: unknown = null;
    try {
      for (;;) {
        if (this.#buf.length - this.#end < 16 * 1024) this.#makeRoom();
        const n = await conn.read(this.#buf.subarray(this.#end));
        if (n === null) break;
        this.#end += n;
        if (this.#end - this.#start >= this.#need) this.#parseAll();
      }
    } catch (error) {
      why = error;
    }
    if (this.#conn === conn) this.#lost(why);
  }

  #makeRoom(): void {
    const used = this.#end - this.#start;
    const want = Math.max(used + 64 * 1024, this.#need + 1024);
    if (want <= this.#buf.length && this.#start > 0) {
      this.#buf.copyWithin(0, this.#start, this.#end);
    } else if (want > this.#buf.length) {
      const bigger = new Uint8Array(Math.max(want, this.#buf.length * 2));
      bigger.set(this.#buf.subarray(this.#start, this.#end));
      this.#buf = bigger;
    } else return;
    this.#end = used;
    this.#start = 0;
  }

  #parseAll(): void {
    for (;;) {
      if (this.#start === this.#end) {
        this.#start = this.#end = 0;
        return;
      }
      this.#pos = this.#start;
      this.#need = 0;
      const value = this.#parse();
      if (value === INCOMPLETE) {
        this.#need = Math.max(this.#need, this.#end - this.#start + 1);
        return;
      }
      this.#start = this.#pos;
      this.#dispatch(value);
    }
  }

  #dispatch(value: unknown): void {
    if (
      this.#subscribed && Array.isArray(value) && value[0] === "message"
    ) {
      try {
        this.#onPush?.(value[1] as string, value[2] as string);
      } catch (error) {
        console.error(`${this.#label}: a message handler threw:`, error);
      }
      return;
    }
    const p = this.#pending[this.#pendingHead];
    if (p === undefined) return; // nothing asked for it (cannot happen)
    this.#pending[this.#pendingHead++] = undefined as unknown as Pending;
    if (
      this.#pendingHead > 1024 && this.#pendingHead * 2 > this.#pending.length
    ) {
      this.#pending = this.#pending.slice(this.#pendingHead);
      this.#pendingHead = 0;
    }
    if (value instanceof RedisReplyError) p.reject(value);
    else p.resolve(value);
  }

  /** The line ending at the next CRLF from #pos, or -1 if incomplete. */
  #lineEnd(): number {
    const buf = this.#buf;
    for (let i = this.#pos; i < this.#end - 1; i++) {
      if (buf[i] === 13 && buf[i + 1] === 10) return i;
    }
    return -1;
  }

  #int(from: number, to: number): number {
    const buf = this.#buf;
    let i = from;
    let sign = 1;
    if (buf[i] === 45) {
      sign = -1;
      i++;
    }
    let n = 0;
    for (; i < to; i++) n = n * 10 + (buf[i] - 48);
    return sign * n;
  }

  #parse(): unknown {
    const type = this.#buf[this.#pos];
    const lineStart = this.#pos + 1;
    this.#pos = lineStart;
    const end = this.#lineEnd();
    if (end < 0) return INCOMPLETE;
    this.#pos = end + 2;
    switch (type) {
      case 43: // + simple string
        return decoder.decode(this.#buf.subarray(lineStart, end));
      case 45: // - error
        return new RedisReplyError(
          decoder.decode(this.#buf.subarray(lineStart, end)),
        );
      case 58: // : integer
        return this.#int(lineStart, end);
      case 36: { // $ bulk string
        const len = this.#int(lineStart, end);
        if (len < 0) return null;
        const from = this.#pos;
        if (this.#end - from < len + 2) {
          this.#need = from + len + 2 - this.#start;
          return INCOMPLETE;
        }
        this.#pos = from + len + 2;
        return bulkString(this.#buf, from, len);
      }
      case 42: { // * array
        const len = this.#int(lineStart, end);
        if (len < 0) return null;
        const items = new Array(len);
        for (let i = 0; i < len; i++) {
          if (this.#pos >= this.#end) return INCOMPLETE;
          const item = this.#parse();
          if (item === INCOMPLETE) return INCOMPLETE;
          items[i] = item;
        }
        return items;
      }
      default:
        throw new RedisConnectionError(
          `${this.#label}: unexpected reply type ${String.fromCharCode(type)}`,
        );
    }
  }

  /** The socket is gone: what was in flight fails; the next command reconnects. */
  #lost(why: unknown): void {
    const error = new RedisConnectionError(
      `${this.#label}: the connection to ${this.address.hostname}:${this.address.port} was lost${
        why instanceof Error ? `: ${why.message}` : ""
      }`,
      why instanceof Error ? { cause: why } : undefined,
    );
    this.#drop(error);
    if (!this.#closed) {
      try {
        this.onDisconnect?.(error);
      } catch {
        // the hook's own business
      }
    }
  }

  #drop(error: Error): void {
    const conn = this.#conn;
    this.#conn = null;
    if (conn !== null) {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
    this.#failAll(error);
  }

  #failAll(error: Error): void {
    const pending = this.#pending;
    const head = this.#pendingHead;
    this.#pending = [];
    this.#pendingHead = 0;
    this.#outbox = [];
    this.#start = this.#end = 0;
    this.#need = 0;
    for (let i = head; i < pending.length; i++) pending[i].reject(error);
  }
}

/** A bulk string: short ASCII ones without a TextDecoder call. */
function bulkString(buf: Uint8Array, from: number, len: number): string {
  if (len <= 24) {
    let s = "";
    for (let i = from; i < from + len; i++) {
      const c = buf[i];
      if (c >= 0x80) return decoder.decode(buf.subarray(from, from + len));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decoder.decode(buf.subarray(from, from + len));
}
