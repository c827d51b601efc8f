/**
 * The TLS layer (CPython's `sslproto`): TLS over a connection we hold,
 * node:tls's `TLSSocket` over a `Duplex` that reads and writes it, with
 * CPython's handshake timeout. TLS servers and clients run their handshake
 * through it (`startServer`, `openConnection`, `openUnixConnection` with
 * `ssl`), and so does `StreamWriter.startTls`.
 *
 * Why not Deno's own TLS: `Deno.startTls` refuses a TCP connection with a
 * read in flight (a transport always has one) and a Unix socket, there is
 * no server-side upgrade at all, and (Deno 2.9) closing a `Deno.TlsConn`
 * whose handshake is pending leaves its TCP socket open, so a client that
 * stalls its handshake could never be disconnected. node:tls does both
 * sides over any stream, is built into Deno, and here the TCP connection
 * under it is ours to close.
 *
 * @module
 */
import type { Duplex } from "node:stream";
import type { SecureContext, TLSSocket } from "node:tls";
import type { ClientTls, ServerTls } from "./streams.ts";
import type { Resource } from "./transports.ts";
import { describe } from "./_validate.ts";

/** CPython's default `ssl_handshake_timeout`, in seconds. */
export const SSL_HANDSHAKE_TIMEOUT = 60;

const READ_SIZE = 64 * 1024;
// The longest delay a host timer takes (about 24.8 days); a handshake
// timeout beyond it (Infinity, say) is no limit at all.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What a TLS layer is made with (checked by the streams that make it). */
export interface TlsSettings {
  /** The server's side of the handshake (with `ssl` a `ServerTls`). */
  serverSide: boolean;
  /** The settings given, what `getExtraInfo("sslcontext")` answers. */
  ssl: ClientTls | ServerTls;
  /** The name the server's certificate must have (client side). */
  serverHostname: string | null;
  /** Seconds the handshake may take before the connection is aborted. */
  handshakeTimeout: number;
  /** A server's context, made once by `serverContext` (else per layer). */
  context?: SecureContext | null;
}

/** node:tls and the stream class the layer needs from node:stream. */
export interface NodeTls {
  /** node:tls. */
  tls: typeof import("node:tls");
  /** node:stream's Duplex. */
  Duplex: typeof Duplex;
}

let nodeTls: Promise<NodeTls> | null = null;

/** node:tls, loaded on first use rather than with the library. */
export function loadNodeTls(): Promise<NodeTls> {
  return nodeTls ??= Promise.all([import("node:tls"), import("node:stream")])
    .then(([tls, stream]) => ({ tls, Duplex: stream.Duplex }));
}

/**
 * A server's TLS context, made once for all its connections, after
 * checking that `cert` is a PEM certificate and `key` its private key
 * (node:tls takes anything here, and only the handshakes would fail).
 */
export async function serverContext(
  call: string,
  { tls }: NodeTls,
  { cert, key }: ServerTls,
): Promise<SecureContext> {
  const crypto = await import("node:crypto");
  let certificate: InstanceType<typeof crypto.X509Certificate>;
  try {
    certificate = new crypto.X509Certificate(cert);
  } catch (error) {
    throw new RangeError(
      `${call}: ssl.cert must be a PEM certificate (chain), got ${
        describe(cert)
      }`,
      { cause: error },
    );
  }
  let matches = false;
  try {
    matches = certificate.checkPrivateKey(crypto.createPrivateKey(key));
  } catch (error) {
    // The key itself is not shown: it is a secret.
    throw new RangeError(`${call}: ssl.key must be a PEM private key`, {
      cause: error,
    });
  }
  if (!matches) {
    throw new RangeError(
      `${call}: ssl.key must be the private key of ssl.cert, got another key`,
    );
  }
  return tls.createSecureContext({ cert, key });
}

function isIpAddress(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(":");
}

/** Closes `resource`, ignoring that it is closed already. */
export function closeQuietly(resource: Resource): void {
  try {
    const closing = resource.close();
    if (closing != null) Promise.resolve(closing).catch(() => {});
  } catch {
    // already closed
  }
}

/**
 * An error as the TLS layer reports it: node:tls's own (a certificate that
 * does not verify, a bad record) as `Deno.errors.InvalidData`, what Deno's
 * TLS raises for them (Python: `ssl.SSLError`); the connection's errors
 * (`Deno.errors.ConnectionReset`, ...) as they are.
 */
function tlsError(error: unknown): unknown {
  if (Object.values(Deno.errors).some((E) => error instanceof E)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new Deno.errors.InvalidData(message, { cause: error });
}

async function writeAll(resource: Resource, data: Uint8Array): Promise<void> {
  for (let at = 0; at < data.length;) {
    at += await resource.write!(data.subarray(at));
  }
}

/**
 * TLS over another resource (a TCP or Unix connection), a `Resource`
 * itself. It starts the handshake at once; `handshake` settles when it is
 * done. A handshake that fails, or takes longer than its timeout, or is
 * aborted, closes the resource under it.
 */
export class TlsLayer implements Resource {
  /**
   * Settles when the handshake is done. It fails with the TLS error, or
   * `ConnectionAborted` (CPython's `ConnectionAbortedError`) when it took
   * longer than the timeout; the connection is closed then.
   */
  readonly handshake: Promise<void>;
  readonly #raw: Resource;
  readonly #socket: TLSSocket;
  // Decrypted chunks not read yet (the first may be partly read), and
  // their size: the socket is not read while it is READ_SIZE or more.
  readonly #chunks: Uint8Array[] = [];
  #queued = 0;
  // Reads the socket again, once read() took enough of the queue.
  #readMore: (() => void) | null = null;
  #ended = false;
  #error: unknown = null;
  #wake: (() => void) | null = null;
  #secure = false;
  #released: Promise<void> | null = null;
  #failHandshake: ((error: unknown) => void) | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #rawClosed = false;

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
    const fetch = () => {
      const next = pending ??
        raw.read!(readBuffer).then((n) =>
          n === null ? null : readBuffer.slice(0, n)
        );
      pending = null;
      next.then(
        (chunk) => duplex.push(chunk),
        (error) => duplex.destroy(error),
      );
    };
    const duplex: Duplex = new Duplex({
      read: () => {
        // Flow control: node:tls reads on whether or not its own reader
        // keeps up (in Deno 2.9), so the layer stops reading the socket
        // while READ_SIZE decrypted bytes wait for read().
        if (this.#queued >= READ_SIZE) this.#readMore = fetch;
        else fetch();
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
        secureContext: settings.context ??
          tls.createSecureContext({ cert, key }),
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
    // Flowing: each chunk as node:tls decrypted it, copied once, into
    // the reader's buffer (read() on a paused stream concatenates first).
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      this.#queued += chunk.length;
      wake();
    });
    socket.on("end", () => {
      this.#ended = true;
      wake();
    });
    socket.on("error", (error: unknown) => {
      this.#error ??= tlsError(error);
      wake();
    });
    socket.on("close", () => {
      this.#ended = true;
      wake();
    });
    this.handshake = new Promise<void>((resolve, reject) => {
      this.#failHandshake = reject;
      socket.once(secureEvent, () => {
        this.#secure = true;
        resolve();
      });
      socket.once("error", (error: unknown) => reject(tlsError(error)));
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
    const timeout = settings.handshakeTimeout;
    if (timeout * 1000 <= MAX_TIMER_MS) {
      // A host timer, not one of the loop's: on a virtual clock, time
      // jumps while the loop waits on the network, which would cut every
      // handshake short; the network takes real time.
      this.#timer = setTimeout(() => {
        // CPython's error and words.
        this.#failHandshake?.(
          new Deno.errors.ConnectionAborted(
            `SSL handshake is taking longer than ${timeout} seconds: ` +
              "aborting the connection",
          ),
        );
      }, timeout * 1000);
    }
    const settled = () => {
      this.#failHandshake = null;
      clearTimeout(this.#timer);
    };
    // A handshake that did not succeed leaves nothing open. (Its error is
    // for whoever awaits it, unless the connection was closed first.)
    this.handshake.then(settled, () => {
      settled();
      this.abort();
    });
  }

  /** Reads decrypted bytes into `buffer`; null at the end. */
  async read(buffer: Uint8Array): Promise<number | null> {
    for (;;) {
      if (this.#released !== null) return null;
      const chunks = this.#chunks;
      if (chunks.length > 0) {
        let n = 0;
        while (chunks.length > 0 && n < buffer.length) {
          const chunk = chunks[0];
          const take = Math.min(chunk.length, buffer.length - n);
          buffer.set(
            take === chunk.length ? chunk : chunk.subarray(0, take),
            n,
          );
          n += take;
          if (take === chunk.length) chunks.shift();
          else chunks[0] = chunk.subarray(take);
        }
        this.#queued -= n;
        const readMore = this.#readMore;
        if (readMore !== null && this.#queued < READ_SIZE) {
          this.#readMore = null;
          readMore();
        }
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
        this.abort();
        resolve();
      };
      if (!this.#secure || socket.destroyed) return release();
      socket.once("close", release);
      socket.end(release);
    });
    this.#wake?.();
    return this.#released;
  }

  /** Closes at once, without a goodbye (a handshake under way fails). */
  abort(): void {
    this.#released ??= Promise.resolve();
    this.#failHandshake?.(
      new Deno.errors.ConnectionReset(
        "the connection was closed during the TLS handshake",
      ),
    );
    this.#socket.destroy();
    if (!this.#rawClosed) {
      this.#rawClosed = true;
      closeQuietly(this.#raw);
    }
    this.#wake?.();
  }
}
