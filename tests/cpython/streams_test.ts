// Coroutine functions must be async even when they do not await.
// deno-lint-ignore-file require-await
// A port of CPython 3.13's Lib/test/test_asyncio/test_streams.py (one Deno
// test per test method, in CPython's order; skipped tests are listed in
// README.md).
//
// Each test gets its own loop, as CPython's setUp does (a loop that is not
// set as the current one: `setEventLoop(null)`), runs it from outside with
// `loop.runUntilComplete(...)` as the original does, and ends as CPython's
// tearDown does: run the loop briefly, close it. The StreamReader tests run
// on the virtual clock; the tests that use sockets, a subprocess or real
// timers run on the real clock (CPython's `new_event_loop()`).
//
// CPython's test HTTP server (test_utils.run_test_server, a WSGI server in
// a thread) is a small host-side server on Deno.listen here: it answers any
// request with the same bytes (`HTTP/1.0 200 OK ... Test message`). It
// listens on 127.0.0.1 (port 0) or on a Unix socket in a temporary directory
// that it removes. CPython's `dummy_ssl_context()` (no verification) is a
// client that trusts the test CA of tests/_tls.ts.
//
// Where a test reads CPython's private `stream._buffer`, the port reads the
// same bytes through the public API (see `buffered`). Python's ValueError is
// a RangeError, RuntimeError an Error, ConnectionResetError
// Deno.errors.ConnectionReset.
import assert from "node:assert/strict";
import {
  type AbstractEventLoop,
  type ClientConnected,
  createSubprocessExec,
  currentTask,
  type ExceptionContext,
  gather,
  getEventLoop,
  getRunningLoop,
  IncompleteReadError,
  LimitOverrunError,
  newEventLoop,
  openConnection,
  openUnixConnection,
  PIPE,
  type Server,
  setEventLoop,
  startServer,
  startUnixServer,
  StreamReader,
  StreamWriter,
  Transport,
  wait,
} from "../../mod.ts";
import { recordExceptions } from "../_helpers.ts";
import { testCertificates } from "../_tls.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const LOCAL = "127.0.0.1";
const VIRTUAL = { virtualTime: true };
const REAL = {};

function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

function text(data: unknown): string {
  assert.ok(data instanceof Uint8Array, `expected bytes, got ${data}`);
  return decoder.decode(data);
}

// StreamTests.DATA
const DATA = "line1\nline2\nline3\n";

/**
 * CPython's setUp and tearDown: a new loop that is not the current one;
 * afterwards `test_utils.run_briefly(loop)` and close it.
 */
async function streamTest(
  fn: (loop: AbstractEventLoop) => Promise<void>,
  options: { virtualTime?: boolean } = VIRTUAL,
): Promise<void> {
  const loop = newEventLoop(options);
  setEventLoop(null);
  let failure: { error: unknown } | null = null;
  try {
    await fn(loop);
  } catch (error) {
    failure = { error };
  }
  setEventLoop(null);
  try {
    if (!loop.isClosed() && !loop.isRunning()) await runBriefly(loop);
  } catch (error) {
    failure ??= { error };
  }
  if (!loop.isClosed()) loop.close();
  if (failure !== null) throw failure.error;
}

/** test_utils.run_briefly(loop). */
async function runBriefly(loop: AbstractEventLoop): Promise<void> {
  await loop.runUntilComplete(async () => {});
}

/**
 * What CPython's tests read as `stream._buffer`: the bytes the reader
 * holds, read through the public API. The count comes from the reader's
 * repr (`<StreamReader 4 bytes>`); the bytes are read and fed back, unless
 * the stream has ended (then this must be the reader's last use).
 */
async function buffered(
  loop: AbstractEventLoop,
  stream: StreamReader,
): Promise<string> {
  const repr = String(stream);
  const count = /(\d+) bytes/.exec(repr);
  const n = count === null ? 0 : Number(count[1]);
  if (n === 0) return "";
  const data = (await loop.runUntilComplete(() => stream.read(n))).slice();
  assert.equal(data.length, n, `read(${n}) of a reader showing ${repr}`);
  if (!/\beof\b/.test(repr)) stream.feedData(data);
  return text(data);
}

function closeQuietly(resource: { close(): void }): void {
  try {
    resource.close();
  } catch {
    // already closed
  }
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let at = 0; at < data.length;) at += await conn.write(data.subarray(at));
}

/** The port a server listens on (its first socket's getsockname()). */
function portOf(server: Server): number {
  return (server.sockets[0].getsockname() as [string, number])[1];
}

/**
 * Runs `fn` with Deno.listen refusing any address but loopback and Unix
 * sockets: a server started without its host must not listen on
 * 0.0.0.0 (this file uses the network on 127.0.0.1 only).
 */
async function loopbackOnly<T>(fn: () => Promise<T>): Promise<T> {
  const listen = Deno.listen;
  Deno.listen = ((options: Deno.ListenOptions | Deno.UnixListenOptions) => {
    if (
      !("path" in options) &&
      (options as Deno.ListenOptions).hostname !== LOCAL
    ) {
      throw new Error(
        `refused: this test listens on ${LOCAL} only, not on ${
          (options as Deno.ListenOptions).hostname ?? "0.0.0.0"
        }`,
      );
    }
    return listen(options as Deno.ListenOptions);
  }) as typeof Deno.listen;
  try {
    return await fn();
  } finally {
    Deno.listen = listen;
  }
}

// ------------------------------------------------------- the test server

interface TestServer extends AsyncDisposable {
  /** `[host, port]`, or the socket's path (httpd.address). */
  address: [string, number] | string;
}

interface Serving {
  close(): Promise<void>;
}

/** Accepts connections on `listener` and runs `handle` for each. */
function serve(
  listener: Deno.Listener,
  handle: (conn: Deno.Conn, track: (conn: Deno.Conn) => void) => Promise<void>,
): Serving {
  const conns = new Set<Deno.Conn>();
  const handlers = new Set<Promise<void>>();
  let closed = false;
  const accepting = (async () => {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        if (closed) return;
        continue;
      }
      if (closed) {
        closeQuietly(conn);
        return;
      }
      conns.add(conn);
      const handler: Promise<void> = handle(conn, (c) => conns.add(c))
        .catch(() => {})
        .finally(() => {
          closeQuietly(conn);
          conns.delete(conn);
          handlers.delete(handler);
        });
      handlers.add(handler);
    }
  })();
  return {
    async close() {
      closed = true;
      closeQuietly(listener);
      for (const conn of conns) closeQuietly(conn);
      await accepting;
      while (handlers.size > 0) await Promise.all([...handlers]);
    },
  };
}

/** test_utils' WSGI app: any request gets 200 and b'Test message'. */
async function httpHandler(conn: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(64 * 1024);
  let request = "";
  while (!request.includes("\r\n\r\n")) {
    const n = await conn.read(buffer);
    if (n === null) return;
    request += decoder.decode(buffer.subarray(0, n));
  }
  await writeAll(
    conn,
    bytes(
      "HTTP/1.0 200 OK\r\n" +
        `Date: ${new Date().toUTCString()}\r\n` +
        "Server: WSGIServer/0.2 CPython/3.13.0\r\n" +
        "Content-type: text/plain\r\n" +
        "Content-Length: 12\r\n" +
        "\r\n" +
        "Test message",
    ),
  );
}

/** Relays a connection to `target`, both ways (TLS passes through). */
async function relayHandler(
  conn: Deno.Conn,
  track: (conn: Deno.Conn) => void,
  target: Deno.ConnectOptions,
): Promise<void> {
  const upstream = await Deno.connect(target);
  track(upstream);
  const pump = async (from: Deno.Conn, to: Deno.Conn) => {
    const buffer = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await from.read(buffer);
        if (n === null) {
          await to.closeWrite().catch(() => {});
          return;
        }
        await writeAll(to, buffer.subarray(0, n));
      }
    } catch {
      closeQuietly(conn);
      closeQuietly(upstream);
    }
  };
  try {
    await Promise.all([pump(conn, upstream), pump(upstream, conn)]);
  } finally {
    closeQuietly(upstream);
  }
}

/**
 * test_utils.run_test_server() / run_test_unix_server(), with
 * `use_ssl`. A TLS server on a Unix socket (which Deno cannot listen
 * for) is a Unix socket relayed to a TLS server on 127.0.0.1.
 */
async function runTestServer(
  options: { unix?: boolean; ssl?: boolean } = {},
): Promise<TestServer> {
  const servings: Serving[] = [];
  let dir: string | null = null;
  const tls = options.ssl ? await testCertificates() : null;
  const listenTcp = () =>
    tls === null ? Deno.listen({ hostname: LOCAL, port: 0 }) : Deno.listenTls({
      hostname: LOCAL,
      port: 0,
      cert: tls.cert,
      key: tls.key,
    });
  let address: [string, number] | string;
  if (options.unix) {
    dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "asyncio-streams-" });
    address = `${dir}/test.sock`;
    const listener = Deno.listen({ transport: "unix", path: address });
    if (tls === null) servings.push(serve(listener, httpHandler));
    else {
      const inner = listenTcp();
      servings.push(serve(inner, httpHandler));
      const target = inner.addr as Deno.NetAddr;
      servings.push(
        serve(listener, (conn, track) =>
          relayHandler(conn, track, {
            hostname: target.hostname,
            port: target.port,
          })),
      );
    }
  } else {
    const listener = listenTcp();
    const addr = listener.addr as Deno.NetAddr;
    address = [addr.hostname, addr.port];
    servings.push(serve(listener, httpHandler));
  }
  return {
    address,
    async [Symbol.asyncDispose]() {
      for (const serving of servings.reverse()) await serving.close();
      if (dir !== null) await Deno.remove(dir, { recursive: true });
    },
  };
}

/** test_utils.unix_socket_path(): a path in a directory removed after. */
async function withUnixSocketPath(
  fn: (path: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "asyncio-unix-" });
  try {
    await fn(`${dir}/test.sock`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Opens a connection to a test server's address (TCP or Unix). */
function openTo(
  address: [string, number] | string,
): Promise<[StreamReader, StreamWriter]> {
  return typeof address === "string"
    ? openUnixConnection(address)
    : openConnection(...address);
}

/** Closes a writer left open by a test that failed half-way. */
async function closeLeftover(writer: StreamWriter | null): Promise<void> {
  if (writer === null) return;
  writer.close();
  try {
    await writer.waitClosed();
  } catch {
    // the failure is reported already
  }
}

// ================================================================ StreamTests

async function basetestOpenConnection(
  loop: AbstractEventLoop,
  address: [string, number] | string,
): Promise<void> {
  const messages = recordExceptions(loop);
  const [reader, writer] = await loop.runUntilComplete(() => openTo(address));
  try {
    writer.write(bytes("GET / HTTP/1.0\r\n\r\n"));
    let data = await loop.runUntilComplete(() => reader.readline());
    assert.equal(text(data), "HTTP/1.0 200 OK\r\n");
    data = await loop.runUntilComplete(() => reader.read());
    assert.ok(
      text(data).endsWith("\r\n\r\nTest message"),
      JSON.stringify(text(data)),
    );
  } finally {
    writer.close();
  }
  assert.deepEqual(messages, []);
}

Deno.test("test_streams.StreamTests.test_open_connection", () =>
  streamTest(async (loop) => {
    await using httpd = await runTestServer();
    await basetestOpenConnection(loop, httpd.address);
  }, REAL));

Deno.test("test_streams.StreamTests.test_open_unix_connection", () =>
  streamTest(async (loop) => {
    await using httpd = await runTestServer({ unix: true });
    await basetestOpenConnection(loop, httpd.address);
  }, REAL));

async function basetestOpenConnectionNoLoopSsl(
  loop: AbstractEventLoop,
  openConnectionFut: () => Promise<[StreamReader, StreamWriter]>,
): Promise<void> {
  const messages = recordExceptions(loop);
  let reader: StreamReader;
  let writer: StreamWriter;
  try {
    [reader, writer] = await loop.runUntilComplete(openConnectionFut);
  } finally {
    setEventLoop(null);
  }
  try {
    writer.write(bytes("GET / HTTP/1.0\r\n\r\n"));
    const data = await loop.runUntilComplete(() => reader.read());
    assert.ok(
      text(data).endsWith("\r\n\r\nTest message"),
      JSON.stringify(text(data)),
    );
  } finally {
    writer.close();
  }
  assert.deepEqual(messages, []);
}

Deno.test("test_streams.StreamTests.test_open_connection_no_loop_ssl", () =>
  streamTest(async (loop) => {
    const { ca } = await testCertificates();
    await using httpd = await runTestServer({ ssl: true });
    const [host, port] = httpd.address as [string, number];
    await basetestOpenConnectionNoLoopSsl(
      loop,
      () => openConnection(host, port, { ssl: { caCerts: [ca] } }),
    );
  }, REAL));

Deno.test("test_streams.StreamTests.test_open_unix_connection_no_loop_ssl", () =>
  streamTest(async (loop) => {
    const { ca } = await testCertificates();
    await using httpd = await runTestServer({ unix: true, ssl: true });
    await basetestOpenConnectionNoLoopSsl(
      loop,
      // CPython passes server_hostname='' with a context that checks no
      // name; trusting the test CA, the name checked is its "localhost".
      () =>
        openUnixConnection(httpd.address as string, {
          ssl: { caCerts: [ca] },
          serverHostname: "localhost",
        }),
    );
  }, REAL));

async function basetestOpenConnectionError(
  loop: AbstractEventLoop,
  address: [string, number] | string,
): Promise<void> {
  const messages = recordExceptions(loop);
  const [reader, writer] = await loop.runUntilComplete(() => openTo(address));
  // writer._protocol.connection_lost(ZeroDivisionError()): the library has
  // no protocol object to call; the connection is lost to an error by
  // closing its socket under the transport, whose pending read fails.
  (writer.getExtraInfo("socket") as Deno.Conn).close();
  const error = await loop.runUntilComplete(async () => {
    try {
      await reader.read();
    } catch (error) {
      return error;
    }
    assert.fail("read() after the connection was lost should raise");
  });
  assert.ok(error instanceof Error, String(error));
  assert.equal(reader.exception(), error);
  writer.close();
  await runBriefly(loop);
  assert.deepEqual(messages, []);
}

Deno.test("test_streams.StreamTests.test_open_connection_error", () =>
  streamTest(async (loop) => {
    await using httpd = await runTestServer();
    await basetestOpenConnectionError(loop, httpd.address);
  }, REAL));

Deno.test("test_streams.StreamTests.test_open_unix_connection_error", () =>
  streamTest(async (loop) => {
    await using httpd = await runTestServer({ unix: true });
    await basetestOpenConnectionError(loop, httpd.address);
  }, REAL));

Deno.test("test_streams.StreamTests.test_feed_empty_data", () =>
  streamTest(async (loop) => {
    const stream = new StreamReader({ loop });

    stream.feedData(bytes(""));
    assert.equal(await buffered(loop, stream), "");
  }));

Deno.test("test_streams.StreamTests.test_feed_nonempty_data", () =>
  streamTest(async (loop) => {
    const stream = new StreamReader({ loop });

    stream.feedData(bytes(DATA));
    assert.equal(await buffered(loop, stream), DATA);
  }));

Deno.test("test_streams.StreamTests.test_read_zero", () =>
  streamTest(async (loop) => {
    // Read zero bytes.
    const stream = new StreamReader({ loop });
    stream.feedData(bytes(DATA));

    const data = await loop.runUntilComplete(() => stream.read(0));
    assert.equal(text(data), "");
    assert.equal(await buffered(loop, stream), DATA);
  }));

Deno.test("test_streams.StreamTests.test_read", () =>
  streamTest(async (loop) => {
    // Read bytes.
    const stream = new StreamReader({ loop });
    const readTask = loop.createTask(() => stream.read(30));

    const cb = () => {
      stream.feedData(bytes(DATA));
    };
    loop.callSoon(cb);

    const data = await loop.runUntilComplete(readTask);
    assert.equal(text(data), DATA);
    assert.equal(await buffered(loop, stream), "");
  }));

Deno.test("test_streams.StreamTests.test_read_line_breaks", () =>
  streamTest(async (loop) => {
    // Read bytes without line breaks.
    const stream = new StreamReader({ loop });
    stream.feedData(bytes("line1"));
    stream.feedData(bytes("line2"));

    const data = await loop.runUntilComplete(() => stream.read(5));

    assert.equal(text(data), "line1");
    assert.equal(await buffered(loop, stream), "line2");
  }));

Deno.test("test_streams.StreamTests.test_read_eof", () =>
  streamTest(async (loop) => {
    // Read bytes, stop at eof.
    const stream = new StreamReader({ loop });
    const readTask = loop.createTask(() => stream.read(1024));

    const cb = () => {
      stream.feedEof();
    };
    loop.callSoon(cb);

    const data = await loop.runUntilComplete(readTask);
    assert.equal(text(data), "");
    assert.equal(await buffered(loop, stream), "");
  }));

Deno.test("test_streams.StreamTests.test_read_until_eof", () =>
  streamTest(async (loop) => {
    // Read all bytes until eof.
    const stream = new StreamReader({ loop });
    const readTask = loop.createTask(() => stream.read(-1));

    const cb = () => {
      stream.feedData(bytes("chunk1\n"));
      stream.feedData(bytes("chunk2"));
      stream.feedEof();
    };
    loop.callSoon(cb);

    const data = await loop.runUntilComplete(readTask);

    assert.equal(text(data), "chunk1\nchunk2");
    assert.equal(await buffered(loop, stream), "");
  }));

Deno.test("test_streams.StreamTests.test_read_exception", () =>
  streamTest(async (loop) => {
    const stream = new StreamReader({ loop });
    stream.feedData(bytes("line\n"));

    const data = await loop.runUntilComplete(() => stream.read(2));
    assert.equal(text(data), "li");

    stream.setException(new RangeError());
    await assert.rejects(
      loop.runUntilComplete(() => stream.read(2)),
      RangeError,
    );
  }));

Deno.test("test_streams.StreamTests.test_invalid_limit", () =>
  streamTest(async (loop) => {
    assert.throws(
      () => new StreamReader({ limit: 0, loop }),
      (e: unknown) => e instanceof RangeError && /imit/.test(e.message),
    );

    assert.throws(
      () => new StreamReader({ limit: -1, loop }),
      (e: unknown) => e instanceof RangeError && /imit/.test(e.message),
    );
  }));

Deno.test("test_streams.StreamTests.test_read_limit", () =>
  streamTest(async (loop) => {
    const stream = new StreamReader({ limit: 3, loop });
    stream.feedData(bytes("chunk"));
    const data = await loop.runUntilComplete(() => stream.read(5));
    assert.equal(text(data), "chunk");
    assert.equal(await buffered(loop, stream), "");
  }));

Deno.test("test_streams.StreamTests.test_readline", () =>
  streamTest(async (loop) => {
    // Read one line. 'readline' will need to wait for the data
    // to come from 'cb'
    const stream = new StreamReader({ loop });
    stream.feedData(bytes("chunk1 "));
    const readTask = loop.createTask(() => stream.readline());

    const cb = () => {
      stream.feedData(bytes("chunk2 "));
      stream.feedData(bytes("chunk3 "));
      stream.feedData(bytes("\n chunk4"));
    };
    loop.callSoon(cb);

    const line = await loop.runUntilComplete(readTask);
    assert.equal(text(line), "chunk1 chunk2 chunk3 \n");
    assert.equal(await buffered(loop, stream), " chunk4");
  }));

Deno.test("test_streams.StreamTests.test_readline_limit_with_existing_data", () =>
  streamTest(async (loop) => {
    // Read one line. The data is in StreamReader's buffer
    // before the event loop is run.

    let stream = new StreamReader({ limit: 3, loop });
    stream.feedData(bytes("li"));
    stream.feedData(bytes("ne1\nline2\n"));

    await assert.rejects(
      loop.runUntilComplete(() => stream.readline()),
      RangeError,
    );
    // The buffer should contain the remaining data after exception
    assert.equal(await buffered(loop, stream), "line2\n");

    stream = new StreamReader({ limit: 3, loop });
    stream.feedData(bytes("li"));
    stream.feedData(bytes("ne1"));
    stream.feedData(bytes("li"));

    await assert.rejects(
      loop.runUntilComplete(() => stream.readline()),
      RangeError,
    );
    // No b'\n' at the end. The 'limit' is set to 3. So before
    // waiting for the new data in buffer, 'readline' will consume
    // the entire buffer, and since the length of the consumed data
    // is more than 3, it will raise a ValueError. The buffer is
    // expected to be empty now.
    assert.equal(await buffered(loop, stream), "");
  }));

Deno.test("test_streams.StreamTests.test_at_eof", () =>
  streamTest(async (loop) => {
    const stream = new StreamReader({ loop });
    assert.equal(stream.atEof(), false);

    stream.feedData(bytes("some data\n"));
    assert.equal(stream.atEof(), false);

    await loop.runUntilComplete(() => stream.readline());
    assert.equal(stream.atEof(), false);

    stream.feedData(bytes("some data\n"));
    stream.feedEof();
    await loop.runUntilComplete(() => stream.readline());
    assert.equal(stream.atEof(), true);
  }));

Deno.test("test_streams.StreamTests.test_readline_limit", () =>
  streamTest(async (loop) => {
    // Read one line. StreamReaders are fed with data after
    // their 'readline' methods are called.

    let stream = new StreamReader({ limit: 7, loop });
    let cb = () => {
      stream.feedData(bytes("chunk1"));
      stream.feedData(bytes("chunk2"));
      stream.feedData(bytes("chunk3\n"));
      stream.feedEof();
    };
    loop.callSoon(cb);

    await assert.rejects(
      loop.runUntilComplete(() => stream.readline()),
      RangeError,
    );
    // The buffer had just one line of data, and after raising
    // a ValueError it should be empty.
    assert.equal(await buffered(loop, stream), "");

    stream = new StreamReader({ limit: 7, loop });
    cb = () => {
      stream.feedData(bytes("chunk1"));
      stream.feedData(bytes("chunk2\n"));
      stream.feedData(bytes("chunk3\n"));
      stream.feedEof();
    };
    loop.callSoon(cb);

    await assert.rejects(
      loop.runUntilComplete(() => stream.readline()),
      RangeError,
    );
    assert.equal(await buffered(loop, stream), "chunk3\n");

    // check strictness of the limit
    stream = new StreamReader({ limit: 7, loop });
    stream.feedData(bytes("1234567\n"));
    const line = await loop.runUntilComplete(() => stream.readline());
    assert.equal(text(line), "1234567\n");
    assert.equal(await buffered(loop, stream), "");

    stream.feedData(bytes("12345678\n"));
    await assert.rejects(
      loop.runUntilComplete(() => stream.readline()),
      RangeError,
    );
    assert.equal(await buffered(loop, stream), "");

    stream.feedData(bytes("12345678"));
    await assert.rejects(
      loop.runUntilComplete(() => stream.readline()),
      RangeError,
    );
    assert.equal(await buffered(loop, stream), "");
  }));

Deno.test("test_streams.StreamTests.test_readline_nolimit_nowait", () =>
  streamTest(async (loop) => {
    // All needed data for the first 'readline' call will be
    // in the buffer.
    const stream = new StreamReader({ loop });
    stream.feedData(bytes(DATA.slice(0, 6)));
    stream.feedData(bytes(DATA.slice(6)));

    const line = await loop.runUntilComplete(() => stream.readline());

    assert.equal(text(line), "line1\n");
    assert.equal(await buffered(loop, stream), "line2\nline3\n");
  }));

Deno.test("test_streams.StreamTests.test_readline_eof", () =>
  streamTest(async (loop) => {
    const stream = new StreamReader({ loop });
    stream.feedData(bytes("some data"));
    stream.feedEof();

    const line = await loop.runUntilComplete(() => stream.readline());
    assert.equal(text(line), "some data");
  }));

Deno.test("test_streams.StreamTests.test_readline_empty_eof", () =>
  streamTest(async (loop) => {
    const stream = new StreamReader({ loop });
    stream.feedEof();

    const line = await loop.runUntilComplete(() => stream.readline());
    assert.equal(text(line), "");
  }));

Deno.test("test_streams.StreamTests.test_readline_read_byte_count", () =>
  streamTest(async (loop) => {
    const stream = new StreamReader({ loop });
    stream.feedData(bytes(DATA));

    await loop.runUntilComplete(() => stream.readline());

    const data = await loop.runUntilComplete(() => stream.read(7));

    assert.equal(text(data), "line2\nl");
    assert.equal(await buffered(loop, stream), "ine3\n");
  }));

Deno.test("test_streams.StreamTests.test_readline_exception", () =>
  streamTest(async (loop) => {
    const stream = new StreamReader({ loop });
    stream.feedData(bytes("line\n"));

    const data = await loop.runUntilComplete(() => stream.readline());
    assert.equal(text(data), "line\n");

    stream.setException(new RangeError());
    await assert.rejects(
      loop.runUntilComplete(() => stream.readline()),
      RangeError,
    );
    assert.equal(await buffered(loop, stream), "");
  }));

Deno.test("test_streams.StreamTests.test_readuntil_separator", () =>
  streamTest(async (loop) => {
    const stream = new StreamReader({ loop });
    await assert.rejects(
      loop.runUntilComplete(() => stream.readuntil(bytes(""))),
      (e: unknown) =>
        e instanceof RangeError && /Separator should be/.test(e.message),
    );
    await assert.rejects(
      loop.runUntilComplete(() => stream.readuntil([bytes("")])),
      (e: unknown) =>
        e instanceof RangeError && /Separator should be/.test(e.message),
    );
    await assert.rejects(
      loop.runUntilComplete(() => stream.readuntil([])),
      (e: unknown) =>
        e instanceof RangeError && /Separator should contain/.test(e.message),
    );
  }));

Deno.test("test_streams.StreamTests.test_readuntil_multi_chunks", () =>
  streamTest(async (loop) => {
    const stream = new StreamReader({ loop });

    stream.feedData(bytes("lineAAA"));
    let data = await loop.runUntilComplete(() =>
      stream.readuntil(bytes("AAA"))
    );
    assert.equal(text(data), "lineAAA");
    assert.equal(await buffered(loop, stream), "");

    stream.feedData(bytes("lineAAA"));
    data = await loop.runUntilComplete(() => stream.readuntil(bytes("AAA")));
    assert.equal(text(data), "lineAAA");
    assert.equal(await buffered(loop, stream), "");

    stream.feedData(bytes("lineAAAxxx"));
    data = await loop.runUntilComplete(() => stream.readuntil(bytes("AAA")));
    assert.equal(text(data), "lineAAA");
    assert.equal(await buffered(loop, stream), "xxx");
  }));

Deno.test("test_streams.StreamTests.test_readuntil_multi_chunks_1", () =>
  streamTest(async (loop) => {
    const stream = new StreamReader({ loop });
    const readuntil = (separator: string) =>
      loop.runUntilComplete(() => stream.readuntil(bytes(separator)));

    stream.feedData(bytes("QWEaa"));
    stream.feedData(bytes("XYaa"));
    stream.feedData(bytes("a"));
    let data = await readuntil("aaa");
    assert.equal(text(data), "QWEaaXYaaa");
    assert.equal(await buffered(loop, stream), "");

    stream.feedData(bytes("QWEaa"));
    stream.feedData(bytes("XYa"));
    stream.feedData(bytes("aa"));
    data = await readuntil("aaa");
    assert.equal(text(data), "QWEaaXYaaa");
    assert.equal(await buffered(loop, stream), "");

    stream.feedData(bytes("aaa"));
    data = await readuntil("aaa");
    assert.equal(text(data), "aaa");
    assert.equal(await buffered(loop, stream), "");

    stream.feedData(bytes("Xaaa"));
    data = await readuntil("aaa");
    assert.equal(text(data), "Xaaa");
    assert.equal(await buffered(loop, stream), "");

    stream.feedData(bytes("XXX"));
    stream.feedData(bytes("a"));
    stream.feedData(bytes("a"));
    stream.feedData(bytes("a"));
    data = await readuntil("aaa");
    assert.equal(text(data), "XXXaaa");
    assert.equal(await buffered(loop, stream), "");
  }));

Deno.test("test_streams.StreamTests.test_readuntil_eof", () =>
  streamTest(async (loop) => {
    const stream = new StreamReader({ loop });
    const data = "some dataAA";
    stream.feedData(bytes(data));
    stream.feedEof();

    const error = await loop.runUntilComplete(async () => {
      try {
        await stream.readuntil(bytes("AAA"));
      } catch (error) {
        return error;
      }
      assert.fail("expected IncompleteReadError");
    });
    assert.ok(error instanceof IncompleteReadError, String(error));
    assert.match(error.message, /undefined expected bytes/);
    assert.equal(text(error.partial), data);
    assert.equal(error.expected, null);
    assert.equal(await buffered(loop, stream), "");
  }));

Deno.test("test_streams.StreamTests.test_readuntil_limit_found_sep", () =>
  streamTest(async (loop) => {
    const stream = new StreamReader({ loop, limit: 3 });
    stream.feedData(bytes("some dataAA"));
    await assert.rejects(
      loop.runUntilComplete(() => stream.readuntil(bytes("AAA"))),
      (e: unknown) =>
        e instanceof LimitOverrunError && /not found/.test(e.message),
    );

    assert.equal(await buffered(loop, stream), "some dataAA");

    stream.feedData(bytes("A"));
    await assert.rejects(
      loop.runUntilComplete(() => stream.readuntil(bytes("AAA"))),
      (e: unknown) =>
        e instanceof LimitOverrunError && /is found/.test(e.message),
    );

    assert.equal(await buffered(loop, stream), "some dataAAA");
  }));

Deno.test("test_streams.StreamTests.test_readuntil_multi_separator", () =>
  streamTest(async (loop) => {
    const stream = new StreamReader({ loop });

    // Simple case
    stream.feedData(bytes("line 1\nline 2\r"));
    let data = await loop.runUntilComplete(() =>
      stream.readuntil([bytes("\r"), bytes("\n")])
    );
    assert.equal(text(data), "line 1\n");
    data = await loop.runUntilComplete(() =>
      stream.readuntil([bytes("\r"), bytes("\n")])
    );
    assert.equal(text(data), "line 2\r");
    assert.equal(await buffered(loop, stream), "");

    // First end position matches, even if that's a longer match
    stream.feedData(bytes("ABCDEFG"));
    data = await loop.runUntilComplete(() =>
      stream.readuntil([bytes("DEF"), bytes("BCDE")])
    );
    assert.equal(text(data), "ABCDE");
    assert.equal(await buffered(loop, stream), "FG");
  }));

Deno.test("test_streams.StreamTests.test_readuntil_multi_separator_limit", () =>
  streamTest(async (loop) => {
    const stream = new StreamReader({ loop, limit: 3 });
    stream.feedData(bytes("some dataA"));

    await assert.rejects(
      loop.runUntilComplete(() =>
        stream.readuntil([bytes("A"), bytes("ome dataA")])
      ),
      (e: unknown) =>
        e instanceof LimitOverrunError && /is found/.test(e.message),
    );

    assert.equal(await buffered(loop, stream), "some dataA");
  }));

Deno.test("test_streams.StreamTests.test_readuntil_multi_separator_negative_offset", () =>
  streamTest(async (loop) => {
    // If the buffer is big enough for the smallest separator (but does
    // not contain it) but too small for the largest, `offset` must not
    // become negative.
    const stream = new StreamReader({ loop });
    stream.feedData(bytes("data"));

    const readuntilTask = loop.createTask(() =>
      stream.readuntil([bytes("A"), bytes("long sep")])
    );
    loop.callSoon((data) => stream.feedData(data), bytes("Z"));
    loop.callSoon((data) => stream.feedData(data), bytes("Aaaa"));

    const data = await loop.runUntilComplete(readuntilTask);
    assert.equal(text(data), "dataZA");
    assert.equal(await buffered(loop, stream), "aaa");
  }));

Deno.test("test_streams.StreamTests.test_readuntil_bytearray", () =>
  streamTest(async (loop) => {
    const stream = new StreamReader({ loop });
    stream.feedData(bytes("some data\r\n"));
    // bytearray(b'\r\n'): another kind of bytes-like object, here a view
    // into a larger mutable buffer.
    const separator = new Uint8Array([0, 13, 10, 0]).subarray(1, 3);
    const data = await loop.runUntilComplete(() => stream.readuntil(separator));
    assert.equal(text(data), "some data\r\n");
    assert.equal(await buffered(loop, stream), "");
  }));

Deno.test("test_streams.StreamTests.test_readexactly_zero_or_less", () =>
  streamTest(async (loop) => {
    // Read exact number of bytes (zero or less).
    const stream = new StreamReader({ loop });
    stream.feedData(bytes(DATA));

    const data = await loop.runUntilComplete(() => stream.readexactly(0));
    assert.equal(text(data), "");
    assert.equal(await buffered(loop, stream), DATA);

    await assert.rejects(
      loop.runUntilComplete(() => stream.readexactly(-1)),
      (e: unknown) =>
        e instanceof RangeError && /less than zero/.test(e.message),
    );
    assert.equal(await buffered(loop, stream), DATA);
  }));

Deno.test("test_streams.StreamTests.test_readexactly", () =>
  streamTest(async (loop) => {
    // Read exact number of bytes.
    const stream = new StreamReader({ loop });

    const n = 2 * DATA.length;
    const readTask = loop.createTask(() => stream.readexactly(n));

    const cb = () => {
      stream.feedData(bytes(DATA));
      stream.feedData(bytes(DATA));
      stream.feedData(bytes(DATA));
    };
    loop.callSoon(cb);

    const data = await loop.runUntilComplete(readTask);
    assert.equal(text(data), DATA + DATA);
    assert.equal(await buffered(loop, stream), DATA);
  }));

Deno.test("test_streams.StreamTests.test_readexactly_limit", () =>
  streamTest(async (loop) => {
    const stream = new StreamReader({ limit: 3, loop });
    stream.feedData(bytes("chunk"));
    const data = await loop.runUntilComplete(() => stream.readexactly(5));
    assert.equal(text(data), "chunk");
    assert.equal(await buffered(loop, stream), "");
  }));

Deno.test("test_streams.StreamTests.test_readexactly_eof", () =>
  streamTest(async (loop) => {
    // Read exact number of bytes (eof).
    const stream = new StreamReader({ loop });
    const n = 2 * DATA.length;
    const readTask = loop.createTask(() => stream.readexactly(n));

    const cb = () => {
      stream.feedData(bytes(DATA));
      stream.feedEof();
    };
    loop.callSoon(cb);

    const error = await loop.runUntilComplete(readTask).then(
      () => assert.fail("expected IncompleteReadError"),
      (error: unknown) => error,
    );
    assert.ok(error instanceof IncompleteReadError, String(error));
    assert.equal(text(error.partial), DATA);
    assert.equal(error.expected, n);
    assert.equal(
      error.message,
      "18 bytes read on a total of 36 expected bytes",
    );
    assert.equal(await buffered(loop, stream), "");
  }));

Deno.test("test_streams.StreamTests.test_readexactly_exception", () =>
  streamTest(async (loop) => {
    const stream = new StreamReader({ loop });
    stream.feedData(bytes("line\n"));

    const data = await loop.runUntilComplete(() => stream.readexactly(2));
    assert.equal(text(data), "li");

    stream.setException(new RangeError());
    await assert.rejects(
      loop.runUntilComplete(() => stream.readexactly(2)),
      RangeError,
    );
  }));

Deno.test("test_streams.StreamTests.test_exception", () =>
  streamTest(async (loop) => {
    const stream = new StreamReader({ loop });
    assert.equal(stream.exception(), null);

    const exc = new RangeError();
    stream.setException(exc);
    assert.equal(stream.exception(), exc);
  }));

Deno.test("test_streams.StreamTests.test_exception_waiter", () =>
  streamTest(async (loop) => {
    const stream = new StreamReader({ loop });

    const setErr = async () => {
      stream.setException(new RangeError());
    };

    const t1 = loop.createTask(() => stream.readline());
    const t2 = loop.createTask(() => setErr());

    await loop.runUntilComplete(() => wait([t1, t2]));

    assert.throws(() => t1.result(), RangeError);
  }));

Deno.test("test_streams.StreamTests.test_exception_cancel", () =>
  streamTest(async (loop) => {
    const stream = new StreamReader({ loop });

    const t = loop.createTask(() => stream.readline());
    await runBriefly(loop);
    t.cancel();
    await runBriefly(loop);
    // The following line fails if set_exception() isn't careful.
    stream.setException(new Error("message"));
    await runBriefly(loop);
    // stream._waiter is None: the reader shows no waiter.
    assert.doesNotMatch(String(stream), /waiter/);
  }));

Deno.test("test_streams.StreamTests.test_start_server", () =>
  streamTest(async (loop) => {
    class MyServer {
      server: Server | null = null;

      constructor(readonly loop: AbstractEventLoop) {}

      handleClient = async (
        clientReader: StreamReader,
        clientWriter: StreamWriter,
      ) => {
        const data = await clientReader.readline();
        clientWriter.write(data);
        await clientWriter.drain();
        clientWriter.close();
        await clientWriter.waitClosed();
      };

      async start(): Promise<[string, number]> {
        const sock = Deno.listen({ hostname: LOCAL, port: 0 });
        try {
          this.server = await loopbackOnly(() =>
            this.loop.runUntilComplete(() =>
              startServer(this.handleClient, undefined, undefined, {
                sock,
              })
            )
          );
        } catch (error) {
          closeQuietly(sock);
          throw error;
        }
        const addr = sock.addr as Deno.NetAddr;
        return [addr.hostname, addr.port];
      }

      handleClientCallback = (
        clientReader: StreamReader,
        clientWriter: StreamWriter,
      ) => {
        this.loop.createTask(() =>
          this.handleClient(clientReader, clientWriter)
        );
      };

      async startCallback(): Promise<[string, number]> {
        const sock = Deno.listen({ hostname: LOCAL, port: 0 });
        const addr = sock.addr as Deno.NetAddr;
        sock.close();
        this.server = await this.loop.runUntilComplete(() =>
          startServer(this.handleClientCallback, addr.hostname, addr.port)
        );
        return [addr.hostname, addr.port];
      }

      async stop(): Promise<void> {
        const server = this.server;
        if (server !== null) {
          server.close();
          await this.loop.runUntilComplete(() => server.waitClosed());
          this.server = null;
        }
      }
    }

    const client = async (addr: [string, number]) => {
      const [reader, writer] = await openConnection(...addr);
      // send a line
      writer.write(bytes("hello world!\n"));
      // read it back
      const msgback = await reader.readline();
      writer.close();
      await writer.waitClosed();
      return msgback;
    };

    const messages = recordExceptions(loop);

    // test the server variant with a coroutine as client handler
    let server = new MyServer(loop);
    let addr = await server.start();
    let msg = await loop.runUntilComplete(
      loop.createTask(() => client(addr)),
    );
    await server.stop();
    assert.equal(text(msg), "hello world!\n");

    // test the server variant with a callback as client handler
    server = new MyServer(loop);
    addr = await server.startCallback();
    msg = await loop.runUntilComplete(loop.createTask(() => client(addr)));
    await server.stop();
    assert.equal(text(msg), "hello world!\n");

    assert.deepEqual(messages, []);
  }, REAL));

Deno.test("test_streams.StreamTests.test_start_unix_server", () =>
  streamTest(async (loop) => {
    class MyServer {
      server: Server | null = null;

      constructor(readonly loop: AbstractEventLoop, readonly path: string) {}

      handleClient = async (
        clientReader: StreamReader,
        clientWriter: StreamWriter,
      ) => {
        const data = await clientReader.readline();
        clientWriter.write(data);
        await clientWriter.drain();
        clientWriter.close();
        await clientWriter.waitClosed();
      };

      async start(): Promise<void> {
        this.server = await this.loop.runUntilComplete(() =>
          startUnixServer(this.handleClient, this.path)
        );
      }

      handleClientCallback = (
        clientReader: StreamReader,
        clientWriter: StreamWriter,
      ) => {
        this.loop.createTask(() =>
          this.handleClient(clientReader, clientWriter)
        );
      };

      async startCallback(): Promise<void> {
        const start = () =>
          startUnixServer(this.handleClientCallback, this.path);
        this.server = await this.loop.runUntilComplete(start);
      }

      async stop(): Promise<void> {
        const server = this.server;
        if (server !== null) {
          server.close();
          await this.loop.runUntilComplete(() => server.waitClosed());
          this.server = null;
        }
      }
    }

    const client = async (path: string) => {
      const [reader, writer] = await openUnixConnection(path);
      // send a line
      writer.write(bytes("hello world!\n"));
      // read it back
      const msgback = await reader.readline();
      writer.close();
      await writer.waitClosed();
      return msgback;
    };

    const messages = recordExceptions(loop);

    // test the server variant with a coroutine as client handler
    await withUnixSocketPath(async (path) => {
      const server = new MyServer(loop, path);
      await server.start();
      const msg = await loop.runUntilComplete(
        loop.createTask(() => client(path)),
      );
      await server.stop();
      assert.equal(text(msg), "hello world!\n");
    });

    // test the server variant with a callback as client handler
    await withUnixSocketPath(async (path) => {
      const server = new MyServer(loop, path);
      await server.startCallback();
      const msg = await loop.runUntilComplete(
        loop.createTask(() => client(path)),
      );
      await server.stop();
      assert.equal(text(msg), "hello world!\n");
    });

    assert.deepEqual(messages, []);
  }, REAL));

Deno.test("test_streams.StreamTests.test_start_tls", () =>
  streamTest(async (loop) => {
    const { ca, cert, key } = await testCertificates();
    let clientWriter: StreamWriter | null = null;

    class MyServer {
      server: Server | null = null;

      constructor(readonly loop: AbstractEventLoop) {}

      handleClient = async (
        clientReader: StreamReader,
        clientWriter: StreamWriter,
      ) => {
        const data1 = await clientReader.readline();
        clientWriter.write(data1);
        await clientWriter.drain();
        assert.equal(clientWriter.getExtraInfo("sslcontext"), null);
        // test_utils.simple_server_sslcontext()
        await clientWriter.startTls({ cert, key });
        assert.notEqual(clientWriter.getExtraInfo("sslcontext"), null);
        const data2 = await clientReader.readline();
        clientWriter.write(data2);
        await clientWriter.drain();
        clientWriter.close();
        await clientWriter.waitClosed();
      };

      async start(): Promise<[string, number]> {
        const sock = Deno.listen({ hostname: LOCAL, port: 0 });
        try {
          this.server = await this.loop.runUntilComplete(() =>
            startServer(this.handleClient, undefined, undefined, { sock })
          );
        } catch (error) {
          closeQuietly(sock);
          throw error;
        }
        const addr = sock.addr as Deno.NetAddr;
        return [addr.hostname, addr.port];
      }

      async stop(): Promise<void> {
        const server = this.server;
        if (server !== null) {
          server.close();
          await this.loop.runUntilComplete(() => server.waitClosed());
          this.server = null;
        }
      }
    }

    const client = async (addr: [string, number]) => {
      const [reader, writer] = await openConnection(...addr);
      clientWriter = writer;
      writer.write(bytes("hello world 1!\n"));
      await writer.drain();
      const msgback1 = await reader.readline();
      assert.equal(writer.getExtraInfo("sslcontext"), null);
      // test_utils.simple_client_sslcontext()
      await writer.startTls({ caCerts: [ca] });
      assert.notEqual(writer.getExtraInfo("sslcontext"), null);
      writer.write(bytes("hello world 2!\n"));
      await writer.drain();
      const msgback2 = await reader.readline();
      writer.close();
      await writer.waitClosed();
      return [msgback1, msgback2];
    };

    const messages = recordExceptions(loop);

    const server = new MyServer(loop);
    const addr = await server.start();
    let msg1: Uint8Array;
    let msg2: Uint8Array;
    try {
      [msg1, msg2] = await loop.runUntilComplete(() => client(addr));
    } catch (error) {
      // Not in CPython: close what the failure left open.
      await closeLeftover(clientWriter);
      server.server?.close();
      server.server?.closeClients();
      throw error;
    } finally {
      await server.stop();
    }

    assert.deepEqual(messages, []);
    assert.equal(text(msg1), "hello world 1!\n");
    assert.equal(text(msg2), "hello world 2!\n");
  }, REAL));

Deno.test("test_streams.StreamTests.test_read_all_from_pipe_reader", () =>
  streamTest(async (loop) => {
    // See asyncio issue 168.  This test is derived from the example
    // subprocess_attach_read_pipe.py, but we configure the
    // StreamReader's limit so that twice it is less than the size
    // of the data writer.
    //
    // CPython connects a StreamReader(limit=1) to the read end of an
    // os.pipe() (loop.connect_read_pipe) that a child writes b'data' to,
    // waits for the child, then reads everything. The library has no
    // os.pipe()/connect_read_pipe(); the pipe is the child's stdout, read
    // by the StreamReader the library makes for it (limit=1).
    const code = "await Deno.stdout.write(new TextEncoder().encode('data'));";
    const args = ["eval", "--quiet", code];

    const proc = await loop.runUntilComplete(() =>
      createSubprocessExec(Deno.execPath(), ...args, {
        stdout: PIPE,
        limit: 1,
      })
    );
    await loop.runUntilComplete(() => proc.wait());

    const reader = proc.stdout!;
    const data = await loop.runUntilComplete(() => reader.read(-1));
    assert.equal(text(data), "data");
  }, REAL));

/**
 * reader._loop is loop: a read waiting on the reader is woken on that loop
 * (a reader bound to another loop would never wake up here).
 */
async function assertReaderLoop(
  loop: AbstractEventLoop,
  reader: StreamReader,
): Promise<void> {
  const task = loop.createTask(() => reader.readline());
  await runBriefly(loop);
  reader.feedData(bytes("line\n"));
  await runBriefly(loop);
  await runBriefly(loop);
  assert.ok(task.done(), "the reader's waiting read did not wake on the loop");
  assert.equal(text(task.result()), "line\n");
}

Deno.test("test_streams.StreamTests.test_streamreader_constructor_without_loop", () =>
  streamTest(async (loop) => {
    try {
      assert.throws(
        () => new StreamReader(),
        (e: unknown) =>
          e instanceof Error && /no current event loop/.test(e.message),
      );
    } finally {
      // Not in CPython: close a loop getEventLoop() may have made.
      try {
        const made = getEventLoop();
        if (made !== loop && !made.isClosed()) made.close();
      } catch {
        // no current event loop, as in CPython
      }
      setEventLoop(null);
    }
  }));

Deno.test("test_streams.StreamTests.test_streamreader_constructor_use_running_loop", () =>
  streamTest(async (loop) => {
    // asyncio issue #184: Ensure that StreamReaderProtocol constructor
    // retrieves the current loop if the loop parameter is not set
    const test = async () => {
      return new StreamReader();
    };

    const reader = await loop.runUntilComplete(() => test());
    await assertReaderLoop(loop, reader);
  }));

Deno.test("test_streams.StreamTests.test_streamreader_constructor_use_global_loop", () =>
  streamTest(async (loop) => {
    // asyncio issue #184: Ensure that StreamReaderProtocol constructor
    // retrieves the current loop if the loop parameter is not set
    // Deprecated in 3.10, undeprecated in 3.12
    try {
      setEventLoop(loop);
      const reader = new StreamReader();
      await assertReaderLoop(loop, reader);
    } finally {
      setEventLoop(null);
    }
  }));

// asyncio.StreamReaderProtocol: the library has no protocol classes (a
// Transport feeds its StreamReader directly).
Deno.test({
  name:
    "test_streams.StreamTests.test_streamreaderprotocol_constructor_without_loop",
  ignore: true,
  fn() {},
});

// asyncio.StreamReaderProtocol: no protocol classes here.
Deno.test({
  name:
    "test_streams.StreamTests.test_streamreaderprotocol_constructor_use_running_loop",
  ignore: true,
  fn() {},
});

// asyncio.StreamReaderProtocol: no protocol classes here.
Deno.test({
  name:
    "test_streams.StreamTests.test_streamreaderprotocol_constructor_use_global_loop",
  ignore: true,
  fn() {},
});

Deno.test("test_streams.StreamTests.test_multiple_drain", () =>
  streamTest(async (loop) => {
    // See https://github.com/python/cpython/issues/74116
    //
    // CPython pauses a FlowControlMixin (pause_writing()), resumes it 0.1 s
    // later and has ten coroutines wait in _drain_helper(). Here the same
    // through the public API: a writer whose transport holds more than its
    // high-water mark (writing paused) because the one write in flight
    // completes 0.1 s later (writing resumed); ten coroutines drain().
    let drained = 0;

    const drainer = async (stream: StreamWriter) => {
      await stream.drain();
      drained += 1;
    };

    const main = async () => {
      const loop = getRunningLoop();
      const size = 64 * 1024 + 1;
      const written = Promise.withResolvers<number>();
      const transport = new Transport({
        write: () => written.promise,
        close() {},
      }, { loop });
      const stream = new StreamWriter(transport);
      stream.write(new Uint8Array(size)); // pause_writing()
      loop.callLater(0.1, () => written.resolve(size)); // resume_writing()
      await gather(
        ...Array.from({ length: 10 }, () => () => drainer(stream)),
      );
      assert.equal(drained, 10);
      stream.close();
      await stream.waitClosed();
    };

    await loop.runUntilComplete(() => main());
  }, REAL));

Deno.test("test_streams.StreamTests.test_drain_raises", () =>
  streamTest(async (loop) => {
    // See http://bugs.python.org/issue25441

    // This test should not use asyncio for the mock server; the
    // whole point of the test is to test for a bug in drain()
    // where it never gives up the event loop but the socket is
    // closed on the  server side.

    const messages = recordExceptions(loop);

    // The server (a thread in CPython, on 'localhost'; here host code on
    // 127.0.0.1): accept one client, close it.
    const sock = Deno.listen({ hostname: LOCAL, port: 0 });
    const addr = sock.addr as Deno.NetAddr;
    const thread = (async () => {
      try {
        const clt = await sock.accept();
        clt.close();
      } finally {
        closeQuietly(sock);
      }
    })();

    let writer: StreamWriter | null = null;
    const client = async (host: string, port: number) => {
      const [, w] = await openConnection(host, port);
      writer = w;

      while (true) {
        w.write(bytes("foo\n"));
        await w.drain();
      }
    };

    // Should not be stuck in an infinite loop.
    await assert.rejects(
      loop.runUntilComplete(() => client(addr.hostname, addr.port)),
      (e: unknown) =>
        e instanceof Deno.errors.ConnectionReset ||
        e instanceof Deno.errors.ConnectionAborted ||
        e instanceof Deno.errors.BrokenPipe,
    );

    // Clean up the thread.
    await thread;
    await closeLeftover(writer);
    assert.deepEqual(messages, []);
  }, REAL));

Deno.test("test_streams.StreamTests.test___repr__", () =>
  streamTest(async (loop) => {
    const stream = new StreamReader({ loop });
    assert.equal(String(stream), "<StreamReader>");
  }));

Deno.test("test_streams.StreamTests.test___repr__nondefault_limit", () =>
  streamTest(async (loop) => {
    const stream = new StreamReader({ loop, limit: 123 });
    assert.equal(String(stream), "<StreamReader limit=123>");
  }));

Deno.test("test_streams.StreamTests.test___repr__eof", () =>
  streamTest(async (loop) => {
    const stream = new StreamReader({ loop });
    stream.feedEof();
    assert.equal(String(stream), "<StreamReader eof>");
  }));

Deno.test("test_streams.StreamTests.test___repr__data", () =>
  streamTest(async (loop) => {
    const stream = new StreamReader({ loop });
    stream.feedData(bytes("data"));
    assert.equal(String(stream), "<StreamReader 4 bytes>");
  }));

Deno.test("test_streams.StreamTests.test___repr__exception", () =>
  streamTest(async (loop) => {
    const stream = new StreamReader({ loop });
    const exc = new Error();
    stream.setException(exc);
    // repr(RuntimeError()) is 'RuntimeError()'; the library's repr of an
    // Error() (as futures show it) is 'Error()'.
    assert.equal(String(stream), "<StreamReader exception=Error()>");
  }));

Deno.test("test_streams.StreamTests.test___repr__waiter", () =>
  streamTest(async (loop) => {
    const stream = new StreamReader({ loop });
    // stream._waiter = asyncio.Future(): a read waiting for data.
    const read = loop.createTask(() => stream.read(1));
    await runBriefly(loop);
    assert.match(
      String(stream),
      /^<StreamReader waiter=<Future pending[\S ]*>>$/,
    );
    // The waiter done and awaited, then cleared.
    stream.feedData(bytes("x"));
    await loop.runUntilComplete(read);
    assert.equal(String(stream), "<StreamReader>");
  }));

Deno.test("test_streams.StreamTests.test___repr__transport", () =>
  streamTest(async (loop) => {
    const stream = new StreamReader({ loop });
    // stream._transport = a mock whose repr is "<Transport>": a real
    // transport feeding the reader, from a resource that sends nothing.
    const closed = Promise.withResolvers<number | null>();
    const transport = new Transport({
      read: () => closed.promise,
      close: () => closed.resolve(null),
    }, { loop, reader: stream });
    try {
      assert.equal(String(stream), `<StreamReader transport=${transport}>`);
    } finally {
      transport.close();
      await loop.runUntilComplete(transport.waitClosed());
    }
  }));

// Pickling: no meaning in JavaScript.
Deno.test({
  name: "test_streams.StreamTests.test_IncompleteReadError_pickleable",
  ignore: true,
  fn() {},
});

// Pickling: no meaning in JavaScript.
Deno.test({
  name: "test_streams.StreamTests.test_LimitOverrunError_pickleable",
  ignore: true,
  fn() {},
});

Deno.test("test_streams.StreamTests.test_wait_closed_on_close", () =>
  streamTest(async (loop) => {
    await using httpd = await runTestServer();
    const [rd, wr] = await loop.runUntilComplete(() =>
      openConnection(...(httpd.address as [string, number]))
    );
    try {
      wr.write(bytes("GET / HTTP/1.0\r\n\r\n"));
      let data = await loop.runUntilComplete(() => rd.readline());
      assert.equal(text(data), "HTTP/1.0 200 OK\r\n");
      data = await loop.runUntilComplete(() => rd.read());
      assert.ok(
        text(data).endsWith("\r\n\r\nTest message"),
        JSON.stringify(text(data)),
      );
      assert.equal(wr.isClosing(), false);
      wr.close();
      assert.equal(wr.isClosing(), true);
      await loop.runUntilComplete(() => wr.waitClosed());
    } finally {
      wr.close();
    }
  }, REAL));

Deno.test("test_streams.StreamTests.test_wait_closed_on_close_with_unread_data", () =>
  streamTest(async (loop) => {
    await using httpd = await runTestServer();
    const [rd, wr] = await loop.runUntilComplete(() =>
      openConnection(...(httpd.address as [string, number]))
    );
    try {
      wr.write(bytes("GET / HTTP/1.0\r\n\r\n"));
      const data = await loop.runUntilComplete(() => rd.readline());
      assert.equal(text(data), "HTTP/1.0 200 OK\r\n");
      wr.close();
      await loop.runUntilComplete(() => wr.waitClosed());
    } finally {
      wr.close();
    }
  }, REAL));

Deno.test("test_streams.StreamTests.test_async_writer_api", () =>
  streamTest(async (loop) => {
    const inner = async (httpd: TestServer) => {
      const [rd, wr] = await openConnection(
        ...(httpd.address as [string, number]),
      );
      try {
        wr.write(bytes("GET / HTTP/1.0\r\n\r\n"));
        let data = await rd.readline();
        assert.equal(text(data), "HTTP/1.0 200 OK\r\n");
        data = await rd.read();
        assert.ok(
          text(data).endsWith("\r\n\r\nTest message"),
          JSON.stringify(text(data)),
        );
      } finally {
        wr.close();
      }
      await wr.waitClosed();
    };

    const messages = recordExceptions(loop);

    {
      await using httpd = await runTestServer();
      await loop.runUntilComplete(() => inner(httpd));
    }

    assert.deepEqual(messages, []);
  }, REAL));

Deno.test("test_streams.StreamTests.test_async_writer_api_exception_after_close", () =>
  streamTest(async (loop) => {
    const inner = async (httpd: TestServer) => {
      const [rd, wr] = await openConnection(
        ...(httpd.address as [string, number]),
      );
      try {
        wr.write(bytes("GET / HTTP/1.0\r\n\r\n"));
        let data = await rd.readline();
        assert.equal(text(data), "HTTP/1.0 200 OK\r\n");
        data = await rd.read();
        assert.ok(
          text(data).endsWith("\r\n\r\nTest message"),
          JSON.stringify(text(data)),
        );
      } finally {
        wr.close();
      }
      await assert.rejects(async () => {
        wr.write(bytes("data"));
        await wr.drain();
      }, Deno.errors.ConnectionReset);
    };

    const messages = recordExceptions(loop);

    {
      await using httpd = await runTestServer();
      await loop.runUntilComplete(() => inner(httpd));
    }

    assert.deepEqual(messages, []);
  }, REAL));

Deno.test("test_streams.StreamTests.test_eof_feed_when_closing_writer", () =>
  streamTest(async (loop) => {
    // See http://bugs.python.org/issue35065
    const messages = recordExceptions(loop);

    {
      await using httpd = await runTestServer();
      const [rd, wr] = await loop.runUntilComplete(() =>
        openConnection(...(httpd.address as [string, number]))
      );

      wr.close();
      const f = () => wr.waitClosed();
      await loop.runUntilComplete(f);
      assert.equal(rd.atEof(), true);
      const data = await loop.runUntilComplete(() => rd.read());
      assert.equal(text(data), "");
    }

    assert.deepEqual(messages, []);
  }, REAL));

// ResourceWarning of an unclosed StreamWriter at gc time (__del__): no
// finalizers to test in JavaScript.
Deno.test({
  name: "test_streams.StreamTests.test_unclosed_resource_warnings",
  ignore: true,
  fn() {},
});

// ResourceWarning "loop is closed" when a StreamWriter is collected
// (__del__, gc.collect()).
Deno.test({
  name: "test_streams.StreamTests.test_loop_is_closed_resource_warnings",
  ignore: true,
  fn() {},
});

// ResourceWarning of an unclosed server-side StreamWriter at gc time
// (__del__, gc.collect()).
Deno.test({
  name: "test_streams.StreamTests.test_unclosed_server_resource_warnings",
  ignore: true,
  fn() {},
});

async function basetestUnhandledExceptions(
  loop: AbstractEventLoop,
  handleEcho: ClientConnected,
): Promise<ExceptionContext[]> {
  // CPython picks a free port first (find_unused_port) and listens on
  // 'localhost'; here port 0 on 127.0.0.1, read back from the server.
  let port = 0;

  const messages = recordExceptions(loop);

  const client = async () => {
    const [, wr] = await openConnection(LOCAL, port);
    wr.write(bytes("test msg"));
    await wr.drain();
    wr.close();
    await wr.waitClosed();
  };

  const main = async () => {
    const server = await startServer(handleEcho, LOCAL, port);
    port = portOf(server);
    await server.startServing();
    await client();
    server.close();
    await server.waitClosed();
  };

  await loop.runUntilComplete(() => main());
  return messages;
}

Deno.test("test_streams.StreamTests.test_unhandled_exception", () =>
  streamTest(async (loop) => {
    const handleEcho = async (_reader: StreamReader, _writer: StreamWriter) => {
      throw new Error("test");
    };
    const messages = await basetestUnhandledExceptions(loop, handleEcho);
    // CPython: "Unhandled exception in client_connected_cb"; the library
    // names the TypeScript parameter (tests/cpython/README.md).
    assert.equal(
      messages[0].message,
      "Unhandled exception in the clientConnected callback",
    );
  }, REAL));

Deno.test("test_streams.StreamTests.test_unhandled_cancel", () =>
  streamTest(async (loop) => {
    const handleEcho = async (_reader: StreamReader, writer: StreamWriter) => {
      writer.close();
      currentTask()!.cancel();
    };
    const messages = await basetestUnhandledExceptions(loop, handleEcho);
    assert.deepEqual(messages, []);
  }, REAL));
