/**
 * `Transport`: moves bytes between a Deno resource (a socket, a pipe) and
 * a `StreamReader`, with Python's flow control both ways, and upgrades a
 * connection to TLS in place (`StreamWriter.startTls`).
 *
 * @module
 */
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import { ByteBuffer } from "./_bytebuffer.ts";
import { outsideTasks } from "./_context.ts";
import { LoopBinding, WaiterQueue } from "./_waiters.ts";
import {
  type AbstractEventLoop,
  countIo,
  getRunningLoop,
  internal,
  kCloseWith,
} from "./events.ts";
import type { Future } from "./futures.ts";
import type { ClientTls, ServerTls, StreamReader } from "./streams.ts";

/**
 * What a transport feeds as it reads, CPython's `BufferedProtocol`: the
 * transport reads straight into the protocol's buffer. A `StreamReader`
 * carries one; pass your own as `TransportOptions.protocol`.
 *
 * @example A protocol that counts bytes
 * ```ts
 * import type { BufferedProtocol } from "@aio/asyncio";
 *
 * let total = 0;
 * const buffer = new Uint8Array(1024);
 * const counter: BufferedProtocol = {
 *   connectionMade() {},
 *   getBuffer: () => buffer,
 *   bufferUpdated(n) { total += n; },
 *   eofReceived() { console.log("end after", total, "bytes"); },
 *   connectionLost() {},
 * };
 * counter.bufferUpdated(3);
 * counter.eofReceived(); // end after 3 bytes
 * ```
 */
export interface BufferedProtocol {
  /** The transport starts reading for this protocol. */
  connectionMade(transport: Transport): void;
  /** Where the next read goes; at most `sizeHint` bytes are wanted. */
  getBuffer(sizeHint: number): Uint8Array;
  /** `n` bytes were read into the last buffer `getBuffer` gave. */
  bufferUpdated(n: number): void;
  /** The peer ended its sending side. */
  eofReceived(): void;
  /** The connection is closed: `error` is null for a clean close. */
  connectionLost(error: unknown): void;
}

// How a transport finds the protocol of a StreamReader given as `reader`,
// and how a StreamWriter's drain() reaches its transport.
export const kProtocol: unique symbol = Symbol("protocol");
export const kDrain: unique symbol = Symbol("drain");
// How StreamWriter.startTls upgrades its transport.
export const kStartTls: unique symbol = Symbol("startTls");

/** What `StreamWriter.startTls` asks of its transport (checked there). */
export interface TlsSettings {
  /** The server's side of the handshake (with `ssl` a `ServerTls`). */
  serverSide: boolean;
  /** The settings given, what `getExtraInfo("sslcontext")` answers. */
  ssl: ClientTls | ServerTls;
  /** The name the server's certificate must have (client side). */
  serverHostname: string | null;
}

/**
 * What a transport reads from and writes to: a `Deno.Conn` fits.
 *
 * @example
 * ```ts
 * import type { Resource } from "@aio/asyncio";
 *
 * const sink: Resource = {
 *   write: (data) => Promise.resolve(data.length),
 *   close: () => {},
 * };
 * console.log(typeof sink.write); // function
 * ```
 */
export interface Resource {
  /** Reads into `buffer`; the byte count, or null at the end. */
  read?(buffer: Uint8Array): Promise<number | null>;
  /** Writes some of `data`; how many bytes. */
  write?(data: Uint8Array): Promise<number>;
  /** Ends the sending side. */
  closeWrite?(): Promise<void>;
  /**
   * Releases the resource. It may return a promise of the moment it is
   * released (after a TLS goodbye, say): `waitClosed()` waits for it.
   */
  close(): void | PromiseLike<void>;
}

const READ_SIZE = 64 * 1024;

/**
 * Options of a {@link Transport}.
 *
 * @example
 * ```ts
 * import type { TransportOptions } from "@aio/asyncio";
 *
 * const options: TransportOptions = { extra: { peername: ["127.0.0.1", 80] } };
 * console.log(Object.keys(options.extra!)); // [ "peername" ]
 * ```
 */
export interface TransportOptions {
  /** The reader fed with what the resource reads. */
  reader?: StreamReader | null;
  /** What is fed with what the resource reads (instead of `reader`). */
  protocol?: BufferedProtocol | null;
  /** What `getExtraInfo(name)` answers. */
  extra?: Record<string, unknown>;
  /** The loop (default: the running one). */
  loop?: AbstractEventLoop;
  /** Called once the resource is closed. */
  onClose?: ((transport: Transport) => void) | null;
  /** Whether `writeEof()` may half-close (default: if it has closeWrite). */
  canWriteEof?: boolean;
  /** Start with reading paused, until `resumeReading()` (default false). */
  paused?: boolean;
}

/**
 * The connection under a `StreamWriter` (`writer.transport`), Python's
 * transport: reading pauses while its reader holds more than twice its
 * limit; writes are buffered, and `drain()` waits while the buffer is
 * above the high-water mark (64 KiB; resumes below the low-water mark).
 *
 * @example
 * ```ts
 * import { run, StreamReader, StreamWriter, Transport } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const written: string[] = [];
 *   const transport = new Transport({
 *     write: (data) => {
 *       written.push(new TextDecoder().decode(data));
 *       return Promise.resolve(data.length);
 *     },
 *     close: () => {},
 *   });
 *   const writer = new StreamWriter(transport, null);
 *   writer.write("hello");
 *   await writer.drain();
 *   writer.close();
 *   await writer.waitClosed();
 *   console.log(written.join("")); // hello
 * });
 * ```
 */
export class Transport {
  readonly #loop: AbstractEventLoop;
  // Replaced by the TLS layer over it when startTls() upgrades the
  // connection in place.
  #resource: Resource;
  readonly #protocol: BufferedProtocol | null;
  #extra: Record<string, unknown>;
  readonly #closed: Future<void>;
  readonly #out = new ByteBuffer(16 * 1024);
  #high = 64 * 1024;
  #low = 16 * 1024;
  #writing = false;
  #writePaused = false;
  // Stops the loop from closing this transport (once it is closed).
  readonly #unregister: () => void;
  readonly #drainers: WaiterQueue<void>;
  #eofWritten = false;
  #closing = false;
  #aborting = false;
  #lost = false;
  #lostError: unknown = null;
  #reading = false;
  #readInFlight = false;
  #readPaused = false;
  #resumeRead: (() => void) | null = null;
  #writesIgnored = 0;
  #onClose: ((transport: Transport) => void) | null;
  #canWriteEof: boolean;
  #upgrade: Upgrade | null = null;
  // Mid-upgrade: the buffered bytes that were written before startTls()
  // and still go out in clear.
  #plainLeft = 0;

  /**
   * Wraps `resource`; with `reader`, starts feeding it what the resource
   * reads. `extra` is what `getExtraInfo` answers; `onClose` is called
   * once the resource is closed.
   */
  constructor(resource: Resource, options: TransportOptions = {}) {
    const loop = options.loop ?? getRunningLoop();
    const protocol = options.protocol ??
      (options.reader as { [kProtocol]?: BufferedProtocol } | null)?.[
        kProtocol
      ] ?? null;
    this.#loop = loop;
    this.#resource = resource;
    this.#protocol = protocol;
    this.#drainers = new WaiterQueue(new LoopBinding(this, loop));
    // A copy: startTls() adds "sslcontext" without touching the caller's.
    this.#extra = { ...options.extra };
    this.#onClose = options.onClose ?? null;
    this.#canWriteEof = options.canWriteEof ??
      resource.closeWrite !== undefined;
    this.#closed = loop.createFuture<void>();
    this.#readPaused = options.paused ?? false;
    this.#unregister = internal(loop)[kCloseWith](() => this.abort());
    if (protocol !== null && resource.read !== undefined) {
      protocol.connectionMade(this);
      // The pump is host code: keep it out of the starting task's context.
      outsideTasks(() => this.#readLoop(protocol));
    }
  }

  /** What `extra` says of `name`, or `fallback`. */
  getExtraInfo(name: string, fallback: unknown = null): unknown {
    return name in this.#extra ? this.#extra[name] : fallback;
  }

  /** True once closing or closed. */
  isClosing(): boolean {
    return this.#closing;
  }

  /**
   * Python's repr: `<Transport read=polling write=<idle, bufsize=0>>`,
   * with `closing` or `closed` after the name.
   */
  toString(): string {
    const info = ["Transport"];
    if (this.#lost) info.push("closed");
    else if (this.#closing) info.push("closing");
    if (!this.#lost) {
      const polling = this.#reading && !this.#readPaused;
      info.push(`read=${polling ? "polling" : "idle"}`);
      info.push(
        `write=<${
          this.#writing ? "polling" : "idle"
        }, bufsize=${this.#out.length}>`,
      );
    }
    return `<${info.join(" ")}>`;
  }

  // ------------------------------------------------------------- reading

  /** Stops reading from the resource until `resumeReading()`. */
  pauseReading(): void {
    this.#readPaused = true;
  }

  /** Reads from the resource again. */
  resumeReading(): void {
    this.#readPaused = false;
    const resume = this.#resumeRead;
    this.#resumeRead = null;
    resume?.();
  }

  async #readLoop(protocol: BufferedProtocol): Promise<void> {
    this.#reading = true;
    try {
      for (;;) {
        if (this.#readPaused) {
          await new Promise<void>((resolve) => this.#resumeRead = resolve);
        }
        // While startTls() runs, the TLS layer reads the resource.
        while (this.#upgrade !== null) await this.#upgrade.done.promise;
        if (this.#closing) return;
        // Straight into the protocol's buffer: no copy.
        const buffer = protocol.getBuffer(READ_SIZE);
        let n: number | null;
        this.#readInFlight = true;
        try {
          n = await this.#resource.read!(buffer);
        } catch (error) {
          if (this.#handOff(null, error)) continue;
          throw error;
        } finally {
          this.#readInFlight = false;
        }
        // A read started before startTls() and ended after it brought
        // the peer's first TLS bytes: they are the TLS layer's, and the
        // protocol's buffer is left as it was (nothing committed).
        if (
          this.#upgrade !== null &&
          this.#handOff(n === null ? null : buffer.slice(0, n))
        ) continue;
        if (this.#closing) return;
        if (n === null) {
          protocol.eofReceived();
          return;
        }
        protocol.bufferUpdated(n);
      }
    } catch (error) {
      if (!this.#closing) this.#connectionLost(error);
    } finally {
      this.#reading = false;
    }
  }

  /** Gives the TLS layer under way the outcome of a read it waits for. */
  #handOff(data: Uint8Array | null, error?: unknown): boolean {
    const upgrade = this.#upgrade;
    const handoff = upgrade?.handoff;
    if (upgrade == null || handoff == null) return false;
    upgrade.handoff = null;
    if (error === undefined) handoff.resolve(data);
    else handoff.reject(error);
    return true;
  }

  // ------------------------------------------------------------- writing

  /** Buffers a copy of `data` and starts sending it. */
  write(data: Uint8Array): void {
    if (this.#eofWritten) {
      throw new Error("Cannot call write() after writeEof()");
    }
    if (this.#lost || this.#closing) {
      if (++this.#writesIgnored === 5) {
        console.warn("write(): the connection is closed; writes are ignored");
      }
      return;
    }
    if (data.length === 0) return;
    this.#out.append(data);
    // During startTls() the data waits for the TLS layer.
    if (!this.#writing && this.#upgrade === null) this.#startWriting();
    if (!this.#writePaused && this.#out.length > this.#high) {
      this.#writePaused = true;
    }
  }

  /** True if the resource can end its sending side. */
  canWriteEof(): boolean {
    return this.#canWriteEof;
  }

  /** Ends the sending side once the buffer is written. */
  writeEof(): void {
    if (this.#closing || this.#eofWritten) return;
    if (!this.canWriteEof()) {
      throw new Error(
        "this transport cannot write EOF (TLS cannot half-close)",
      );
    }
    this.#eofWritten = true;
    if (!this.#writing) this.#startWriting();
  }

  /** Bytes buffered and not yet written. */
  getWriteBufferSize(): number {
    return this.#out.length;
  }

  /** Sets the high- and low-water marks of the write buffer. */
  setWriteBufferLimits(high?: number, low?: number): void {
    const h = high ?? (low === undefined ? 64 * 1024 : 4 * low);
    const l = low ?? Math.floor(h / 4);
    if (!(h >= l && l >= 0)) {
      throw new RangeError(
        `high (${h}) must be >= low (${l}) must be >= 0`,
      );
    }
    this.#high = h;
    this.#low = l;
  }

  /**
   * @ignore What `StreamWriter.drain()` waits for: null when the buffer is
   * below the high-water mark, else a wait until it is below the low one.
   * Throws the connection's error if it was lost.
   */
  [kDrain](): PromiseLike<void> | null {
    if (this.#lost) {
      throw this.#lostError ??
        new Deno.errors.ConnectionReset("Connection lost");
    }
    if (!this.#writePaused) return null;
    return this.#drainers.park();
  }

  #startWriting(): void {
    this.#writing = true;
    countIo(this.#loop, outsideTasks(() => this.#writeLoop()));
  }

  async #writeLoop(): Promise<void> {
    const sink = this.#resource;
    try {
      // The buffer is never overwritten in place, so appending while a
      // write of it is in flight is safe.
      while (this.#out.length > 0) {
        let chunk = this.#out.peek();
        if (this.#upgrade !== null) {
          // Only what was written before startTls() goes out in clear.
          if (this.#plainLeft === 0) break;
          if (chunk.length > this.#plainLeft) {
            chunk = chunk.subarray(0, this.#plainLeft);
          }
        }
        const n = await sink.write!(chunk);
        // (startTls() counted this write among the clear bytes if it
        // began while the write was in flight.)
        if (this.#upgrade !== null) this.#plainLeft -= n;
        this.#out.drop(n);
        this.#out.rewind();
        if (this.#writePaused && this.#out.length <= this.#low) {
          this.#writePaused = false;
          this.#drainers.wakeAll();
        }
      }
      if (this.#eofWritten && !this.#lost) await sink.closeWrite!();
    } catch (error) {
      this.#out.clear();
      this.#connectionLost(error);
    } finally {
      this.#writing = false;
      this.#upgrade?.flushed.resolve();
    }
    if (this.#closing && !this.#lost) this.#finish(null);
  }

  // ------------------------------------------------------------- TLS

  /**
   * @ignore `StreamWriter.startTls()`: Python's `loop.start_tls()` in
   * place. The bytes written before it go out in clear; then a TLS layer
   * (node:tls over this transport's resource) does the handshake, and
   * becomes the resource: the reader keeps what it holds, reads and
   * writes from then on are encrypted. Writes made during the handshake
   * wait for it. If it fails, the connection is closed, as in Python.
   */
  async [kStartTls](settings: TlsSettings): Promise<void> {
    if (this.#closing) {
      throw this.#lostError ??
        new Error("startTls(): the connection is closed");
    }
    if (this.#upgrade !== null) {
      throw new Error("startTls(): the connection is already being upgraded");
    }
    if (this.#eofWritten) {
      throw new Error("startTls(): cannot upgrade after writeEof()");
    }
    const raw = this.#resource;
    if (raw.read === undefined || raw.write === undefined) {
      throw new TypeError(
        "startTls(): the transport's resource must both read and write",
      );
    }
    const upgrade: Upgrade = {
      flushed: Promise.withResolvers<void>(),
      done: Promise.withResolvers<void>(),
      // A read in flight gets the peer's first TLS bytes: the layer must
      // start from them (Deno cannot cancel a read).
      handoff: this.#readInFlight
        ? Promise.withResolvers<Uint8Array | null>()
        : null,
      layer: null,
    };
    this.#upgrade = upgrade;
    this.#canWriteEof = false; // TLS cannot half-close
    this.#plainLeft = this.#out.length;
    if (!this.#writing) upgrade.flushed.resolve();
    const closed = () =>
      this.#lostError ??
        new Deno.errors.ConnectionReset(
          "startTls(): the connection was closed during the TLS handshake",
        );
    try {
      await upgrade.flushed.promise;
      if (this.#closing) throw closed();
      // Loading node:tls is local work: the virtual clock waits for it.
      const node = await countIo(this.#loop, loadNodeTls());
      if (this.#closing) throw closed();
      const layer = new TlsLayer(
        node,
        raw,
        upgrade.handoff?.promise ?? null,
        settings,
      );
      upgrade.layer = layer;
      if (this.#closing) throw closed();
      try {
        await layer.handshake;
      } catch (error) {
        throw this.#closing ? closed() : error;
      }
      if (this.#closing) throw closed();
      this.#resource = layer;
      this.#extra = { ...this.#extra, sslcontext: settings.ssl };
    } catch (error) {
      this.#upgrade = null;
      upgrade.done.resolve();
      upgrade.layer?.abort();
      // Abort, not close: writes made during the handshake were meant to
      // be encrypted and must not go out in clear.
      this.abort();
      throw error;
    }
    this.#upgrade = null;
    upgrade.done.resolve();
    if (this.#out.length > 0 && !this.#writing) this.#startWriting();
  }

  // ------------------------------------------------------------- closing

  /** Closes once the buffered data is written. */
  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.resumeReading();
    if (!this.#writing) this.#finish(null);
  }

  /** Closes at once, dropping the buffered data. */
  abort(): void {
    this.#closing = true;
    this.#aborting = true;
    this.#out.clear();
    this.#finish(null);
  }

  /**
   * A future done once the resource is closed; it fails with the error if
   * the connection was lost to one.
   */
  waitClosed(): Future<void> {
    return this.#closed;
  }

  #connectionLost(error: unknown): void {
    this.#closing = true;
    this.#finish(error);
  }

  #finish(error: unknown): void {
    if (this.#lost) return;
    this.#lost = true;
    this.#unregister();
    this.#lostError = error;
    let released: void | PromiseLike<void> = undefined;
    try {
      const resource = this.#resource;
      released = this.#aborting && resource instanceof TlsLayer
        ? resource.abort()
        : resource.close();
    } catch {
      // already closed by the peer or the runtime
    }
    // A TLS handshake under way ends with the connection.
    this.#upgrade?.layer?.abort();
    this.#protocol?.connectionLost(error);
    if (error === null) this.#drainers.wakeAll();
    else this.#drainers.failAll(error);
    const settle = () => {
      this.#onClose?.(this);
      if (!this.#closed.done() && !this.#loop.isClosed()) {
        if (error === null) this.#closed.setResult();
        else {
          // waitClosed() raises it, as Python's does; unawaited, no leak.
          this.#closed.setException(error);
          this.#closed.exception(); // retrieved: not reported at close
        }
      }
    };
    // A TLS layer says goodbye (close_notify) before its socket closes:
    // closed means closed, so waitClosed() waits for that.
    if (released != null && typeof released.then === "function") {
      countIo(this.#loop, Promise.resolve(released)).then(settle, settle);
    } else settle();
  }
}

/** An upgrade to TLS under way (`Transport[kStartTls]`). */
interface Upgrade {
  /** Settles once the bytes written before startTls() are sent. */
  flushed: PromiseWithResolvers<void>;
  /** Settles when the upgrade is over, done or failed. */
  done: PromiseWithResolvers<void>;
  /** The read in flight when it began, which the TLS layer starts from. */
  handoff: PromiseWithResolvers<Uint8Array | null> | null;
  /** The TLS layer, once made. */
  layer: TlsLayer | null;
}

// ------------------------------------------------------------- TLS layer

interface NodeTls {
  tls: typeof import("node:tls");
  Duplex: typeof Duplex;
}
let nodeTls: Promise<NodeTls> | null = null;

// node:tls is loaded on the first upgrade, not with the library.
function loadNodeTls(): Promise<NodeTls> {
  return nodeTls ??= Promise.all([import("node:tls"), import("node:stream")])
    .then(([tls, stream]) => ({ tls, Duplex: stream.Duplex }));
}

function isIpAddress(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(":");
}

function closeQuietly(resource: Resource): void {
  try {
    const closing = resource.close();
    if (closing != null) Promise.resolve(closing).catch(() => {});
  } catch {
    // already closed
  }
}

async function writeAll(resource: Resource, data: Uint8Array): Promise<void> {
  for (let at = 0; at < data.length;) {
    at += await resource.write!(data.subarray(at));
  }
}

/**
 * TLS over another resource, a `Resource` itself: node:tls's TLSSocket
 * over a Duplex that reads and writes the resource under it. Deno's own
 * TLS cannot do what start_tls needs: `Deno.startTls` refuses a TCP
 * connection with a read in flight (a transport always has one) and a
 * Unix socket, and there is no server-side upgrade at all; node:tls does
 * both sides over any stream, and is built into Deno.
 */
class TlsLayer implements Resource {
  /** Settles when the handshake is done (or failed). */
  readonly handshake: Promise<void>;
  readonly #raw: Resource;
  readonly #socket: TLSSocket;
  #leftover: Uint8Array | null = null;
  #ended = false;
  #error: unknown = null;
  #wake: (() => void) | null = null;
  #secure = false;
  #released: Promise<void> | null = null;

  /**
   * A layer over `raw` that starts the handshake at once, from `first`
   * (the outcome of a read in flight) if given.
   */
  constructor(
    { tls, Duplex }: NodeTls,
    raw: Resource,
    first: Promise<Uint8Array | null> | null,
    settings: TlsSettings,
  ) {
    this.#raw = raw;
    const readBuffer = new Uint8Array(READ_SIZE);
    let pending = first;
    const duplex: Duplex = new Duplex({
      read() {
        const next = pending ??
          raw.read!(readBuffer).then((n) =>
            n === null ? null : readBuffer.slice(0, n)
          );
        pending = null;
        next.then(
          (chunk) => duplex.push(chunk),
          (error) => duplex.destroy(error),
        );
      },
      write(chunk: Uint8Array, _encoding, callback) {
        writeAll(raw, chunk).then(() => callback(), callback);
      },
      // No half-close under TLS: the socket is closed by close().
      final(callback) {
        callback();
      },
    });
    let socket: TLSSocket;
    let secureEvent: string;
    if (settings.serverSide) {
      const { cert, key } = settings.ssl as ServerTls;
      socket = new tls.TLSSocket(duplex, {
        isServer: true,
        secureContext: tls.createSecureContext({ cert, key }),
      });
      secureEvent = "secure";
    } else {
      const secureContext = tls.createSecureContext();
      const ssl = settings.ssl as ClientTls;
      const caCerts = ssl === true ? [] : ssl.caCerts ?? [];
      // addCACert adds to the default roots, as Deno.connectTls's
      // caCerts do (node's `ca` option would replace them).
      for (const ca of caCerts) secureContext.context.addCACert(ca);
      const host = settings.serverHostname!;
      socket = tls.connect({
        socket: duplex,
        secureContext,
        host,
        // No SNI for an address (RFC 6066); node checks it as an IP.
        ...(isIpAddress(host) ? {} : { servername: host }),
      });
      secureEvent = "secureConnect";
    }
    this.#socket = socket;
    const wake = () => {
      const resolve = this.#wake;
      this.#wake = null;
      resolve?.();
    };
    socket.on("readable", wake);
    socket.on("end", () => {
      this.#ended = true;
      wake();
    });
    socket.on("error", (error: unknown) => {
      this.#error ??= error;
      wake();
    });
    socket.on("close", () => {
      this.#ended = true;
      wake();
    });
    this.handshake = new Promise<void>((resolve, reject) => {
      socket.once(secureEvent, () => {
        this.#secure = true;
        resolve();
      });
      socket.once("error", reject);
      // The peer gone mid-handshake: a server's TLSSocket only ends.
      const gone = () =>
        reject(
          new Deno.errors.ConnectionReset(
            "the connection was closed during the TLS handshake",
          ),
        );
      socket.once("end", gone);
      socket.once("close", gone);
    });
    // Awaited by startTls(), unless the transport closed first.
    this.handshake.catch(() => {});
  }

  /** Reads decrypted bytes into `buffer`; null at the end. */
  async read(buffer: Uint8Array): Promise<number | null> {
    for (;;) {
      if (this.#released !== null) return null;
      const chunk: Uint8Array | null = this.#leftover ?? this.#socket.read();
      if (chunk !== null) {
        const n = Math.min(chunk.length, buffer.length);
        buffer.set(chunk.subarray(0, n));
        this.#leftover = n < chunk.length ? chunk.subarray(n) : null;
        return n;
      }
      if (this.#error !== null) throw this.#error;
      if (this.#ended) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
  }

  /** Encrypts and sends `data`; resolves once it is handed down. */
  write(data: Uint8Array): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#socket.write(
        data,
        (error) => error ? reject(error) : resolve(data.length),
      );
    });
  }

  /** Says goodbye (close_notify), then closes the resource under it. */
  close(): Promise<void> {
    if (this.#released !== null) return this.#released;
    const socket = this.#socket;
    this.#released = new Promise<void>((resolve) => {
      let done = false;
      const release = () => {
        if (done) return;
        done = true;
        socket.destroy();
        closeQuietly(this.#raw);
        resolve();
      };
      if (!this.#secure || socket.destroyed) return release();
      socket.once("close", release);
      socket.end(release);
    });
    this.#wake?.();
    return this.#released;
  }

  /** Closes at once, without a goodbye. */
  abort(): void {
    this.#released ??= Promise.resolve();
    this.#socket.destroy();
    closeQuietly(this.#raw);
    this.#wake?.();
  }
}
