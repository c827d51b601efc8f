/**
 * `Transport`: moves bytes between a Deno resource (a socket, a pipe) and
 * a `StreamReader`, with Python's flow control both ways.
 *
 * @module
 */
import { ByteBuffer } from "./_bytebuffer.ts";
import { outsideTasks } from "./_context.ts";
import { LoopBinding, WaiterQueue } from "./_waiters.ts";
import { type AbstractEventLoop, countIo, getRunningLoop } from "./events.ts";
import type { Future } from "./futures.ts";
import type { StreamReader } from "./streams.ts";

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
  /** Releases the resource. */
  close(): void;
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
  readonly #resource: Resource;
  readonly #protocol: BufferedProtocol | null;
  readonly #extra: Record<string, unknown>;
  readonly #closed: Future<void>;
  readonly #out = new ByteBuffer(16 * 1024);
  #high = 64 * 1024;
  #low = 16 * 1024;
  #writing = false;
  #writePaused = false;
  readonly #drainers: WaiterQueue<void>;
  #eofWritten = false;
  #closing = false;
  #lost = false;
  #lostError: unknown = null;
  #readPaused = false;
  #resumeRead: (() => void) | null = null;
  #writesIgnored = 0;
  #onClose: ((transport: Transport) => void) | null;
  readonly #canWriteEof: boolean;

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
    this.#extra = options.extra ?? {};
    this.#onClose = options.onClose ?? null;
    this.#canWriteEof = options.canWriteEof ??
      resource.closeWrite !== undefined;
    this.#closed = loop.createFuture<void>();
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
    try {
      for (;;) {
        if (this.#readPaused) {
          await new Promise<void>((resolve) => this.#resumeRead = resolve);
        }
        if (this.#closing) return;
        // Straight into the protocol's buffer: no copy.
        const n = await this.#resource.read!(protocol.getBuffer(READ_SIZE));
        if (this.#closing) return;
        if (n === null) {
          protocol.eofReceived();
          return;
        }
        protocol.bufferUpdated(n);
      }
    } catch (error) {
      if (!this.#closing) this.#connectionLost(error);
    }
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
    if (!this.#writing) this.#startWriting();
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
        const n = await sink.write!(this.#out.peek());
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
    }
    if (this.#closing && !this.#lost) this.#finish(null);
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
    this.#lostError = error;
    try {
      this.#resource.close();
    } catch {
      // already closed by the peer or the runtime
    }
    this.#protocol?.connectionLost(error);
    if (error === null) this.#drainers.wakeAll();
    else this.#drainers.failAll(error);
    this.#onClose?.(this);
    if (!this.#closed.done() && !this.#loop.isClosed()) {
      if (error === null) this.#closed.setResult();
      else {
        // waitClosed() raises it, as Python's does; unawaited, it is no leak.
        this.#closed.setException(error);
        this.#closed.exception(); // retrieved: not reported at close
      }
    }
  }
}
