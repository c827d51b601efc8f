// Fixtures for the RedisTaskSource tests (tests/redis_test.ts,
// tests/redis_fault_test.ts and the consumer processes they spawn): a
// throw-away `redis-server` on a free loopback port, in a temporary
// directory under /tmp, without persistence (or with append-only
// persistence), that a test can stop or kill and start again on the same
// port; node-redis connections in the `{ command(args) }` shape
// RedisTaskSource takes; and a TCP proxy that drops a connection right
// after Redis answered, so that the answer is lost. Not a test file.
// deno-lint-ignore no-import-prefix
import { createClient } from "npm:redis@5.10.0";
import type { RedisConnection } from "../redis.ts";
import { haveRedisServer } from "../examples/_redis.ts";

/** Why a test cannot run without the `redis-server` command. */
export const NO_REDIS_SERVER =
  "the Redis tests need the redis-server command (Redis 6.2 or later, for " +
  "BLMOVE) on PATH: install it (Debian/Ubuntu: apt-get install redis-server)";

// Only a test process (which may run commands) asks; the consumer processes
// that import this file for its clients run without --allow-run and start
// no server.
const mayStartServers =
  Deno.permissions.querySync({ name: "run" }).state === "granted";

/** Whether the `redis-server` command is on PATH. */
export const redisServerFound: boolean = mayStartServers &&
  await haveRedisServer();

/**
 * True when `redis-server` is not on PATH: the tests that start one are then
 * skipped (`ignore: redisMissing`), with one line saying what to install,
 * unless `ASYNCIO_REQUIRE_REDIS=1` (set by `.ci/run`), where they run and
 * fail with {@link NO_REDIS_SERVER}.
 */
export const redisMissing: boolean = (() => {
  if (redisServerFound || !mayStartServers) return false;
  if (Deno.env.get("ASYNCIO_REQUIRE_REDIS") === "1") return false;
  console.warn(`Redis tests skipped: ${NO_REDIS_SERVER}`);
  return true;
})();

/** Sends PING over a raw socket; true when the answer is +PONG. */
async function ping(port: number): Promise<boolean> {
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
  } catch {
    return false;
  }
  try {
    await conn.write(new TextEncoder().encode("PING\r\n"));
    const buf = new Uint8Array(64);
    const n = await conn.read(buf);
    return n !== null &&
      new TextDecoder().decode(buf.subarray(0, n)).startsWith("+PONG");
  } catch {
    return false;
  } finally {
    conn.close();
  }
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A `redis-server` of the test's own. `stop()` ends it (SIGTERM, then waits
 * for it), `kill()` kills it (SIGKILL), `restart()` starts it again on the
 * same port (empty, unless it was started with `appendOnly`: then with
 * what its append-only file holds), `close()` stops it and removes its
 * directory.
 */
export class RedisServer {
  readonly port: number;
  readonly dir: string;
  readonly appendOnly: boolean;
  #child: Deno.ChildProcess | null = null;
  #stderr: Promise<string> = Promise.resolve("");

  private constructor(port: number, dir: string, appendOnly: boolean) {
    this.port = port;
    this.dir = dir;
    this.appendOnly = appendOnly;
  }

  /** `redis://127.0.0.1:PORT`. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /**
   * Starts a server on a free loopback port; resolves once it answers.
   * With `appendOnly`, every write is in its append-only file (fsync
   * always) before Redis answers it, so a killed server loses nothing it
   * acknowledged.
   */
  static async start(
    { appendOnly = false }: { appendOnly?: boolean } = {},
  ): Promise<RedisServer> {
    // Under /tmp: the test task may write there only.
    const dir = await Deno.makeTempDir({
      dir: "/tmp",
      prefix: "asyncio-redis-",
    });
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const server = new RedisServer(freePort(), dir, appendOnly);
      try {
        await server.restart();
        return server;
      } catch (error) {
        // Someone may have taken the port between freePort() and the bind.
        lastError = error;
        if (error instanceof Error && error.message === NO_REDIS_SERVER) break;
      }
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw lastError;
  }

  /** Whether the process is running (started and not stopped). */
  get running(): boolean {
    return this.#child !== null;
  }

  /** (Re)starts the server on its port; resolves once it answers PING. */
  async restart(): Promise<void> {
    if (this.#child !== null) throw new Error("redis-server is running");
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command("redis-server", {
        args: [
          "--port",
          String(this.port),
          "--bind",
          "127.0.0.1",
          "--save",
          "",
          ...(this.appendOnly
            ? ["--appendonly", "yes", "--appendfsync", "always"]
            : ["--appendonly", "no"]),
          "--dir",
          this.dir,
        ],
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw new Error(NO_REDIS_SERVER);
      }
      throw error;
    }
    const stderr = new Response(child.stderr).text().catch(() => "");
    let exited = false;
    const status = child.status.then((s) => {
      exited = true;
      return s;
    });
    const deadline = performance.now() + 10_000;
    while (!exited && performance.now() < deadline) {
      if (await ping(this.port)) {
        this.#child = child;
        this.#stderr = stderr;
        return;
      }
      await pause(10);
    }
    if (!exited) child.kill("SIGKILL");
    const { code } = await status;
    const why = (await stderr).trim();
    throw new Error(
      `redis-server on port ${this.port} did not start (exit ${code}): ${why}`,
    );
  }

  /** Stops the server (SIGTERM) and waits until it is gone. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child === null) return;
    this.#child = null;
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
    await child.status;
    await this.#stderr;
  }

  /** Kills the server (SIGKILL: no clean shutdown) and waits for it. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child === null) return;
    this.#child = null;
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await child.status;
    await this.#stderr;
  }

  /** Stops the server and removes its directory. */
  async close(): Promise<void> {
    await this.stop();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }

  /** `await using server = await RedisServer.start()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** A node-redis connection as RedisTaskSource takes it, and its closing. */
export interface RedisClient extends RedisConnection {
  /** Closes the connection at once (pending commands fail). */
  close(): Promise<void>;
  /** `await using`: `close()`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Connects a node-redis client to `url`. It reconnects for ever, every
 * 50 ms, and its 'error' events are swallowed (node-redis throws them when
 * nobody listens): the task source retries what failed.
 */
export async function redisClient(url: string): Promise<RedisClient> {
  const client = createClient({ url, socket: { reconnectStrategy: () => 50 } });
  client.on("error", () => {});
  await client.connect();
  let closed: Promise<void> | undefined;
  const close = () =>
    closed ??= (async () => {
      if (client.isOpen) client.destroy();
      // Let the socket's close event run, so no op is left pending.
      await pause(0);
    })();
  return {
    command: (args: string[]) => client.sendCommand(args),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** `n` connections to `url` (e.g. `redis` and `blockingRedis`). */
export function redisClients(url: string, n: number): Promise<RedisClient[]> {
  return Promise.all(Array.from({ length: n }, () => redisClient(url)));
}

/**
 * A TCP proxy in front of a Redis server, for lost replies: connect a
 * client to `proxy.url` instead of the server's, and
 * `cutReplyContaining(text)` makes the next answer from Redis that
 * contains `text` never arrive: the proxy closes both sides of that
 * connection instead of passing it on (Redis has run the command; the
 * client sees its connection drop and reconnects).
 */
export class RedisProxy {
  readonly port: number;
  readonly #target: number;
  readonly #listener: Deno.TcpListener;
  readonly #conns = new Set<Deno.TcpConn>();
  readonly #tasks = new Set<Promise<void>>();
  #cut: { text: string; done: () => void } | null = null;
  #cuts = 0;

  private constructor(listener: Deno.TcpListener, target: number) {
    this.#listener = listener;
    this.#target = target;
    this.port = (listener.addr as Deno.NetAddr).port;
    this.#track(this.#accept());
  }

  /** A proxy to the server on 127.0.0.1:`target`. */
  static start(target: number): RedisProxy {
    return new RedisProxy(
      Deno.listen({ hostname: "127.0.0.1", port: 0 }),
      target,
    );
  }

  /** `redis://127.0.0.1:PORT` of the proxy. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** How many connections it has cut. */
  get cuts(): number {
    return this.#cuts;
  }

  /**
   * Arms the proxy: the next answer containing `text` is dropped with its
   * connection. Resolves once that happened.
   */
  cutReplyContaining(text: string): Promise<void> {
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#cut = { text, done: resolve };
    return promise;
  }

  #track(task: Promise<void>): void {
    this.#tasks.add(task);
    task.finally(() => this.#tasks.delete(task));
  }

  async #accept(): Promise<void> {
    for (;;) {
      let client: Deno.TcpConn;
      try {
        client = await this.#listener.accept();
      } catch {
        return; // closed
      }
      let server: Deno.TcpConn;
      try {
        server = await Deno.connect({
          hostname: "127.0.0.1",
          port: this.#target,
        });
      } catch {
        client.close();
        continue;
      }
      this.#conns.add(client);
      this.#conns.add(server);
      const closeBoth = () => {
        for (const c of [client, server]) {
          if (this.#conns.delete(c)) {
            try {
              c.close();
            } catch {
              // already closed
            }
          }
        }
      };
      this.#track(this.#pump(client, server, false, closeBoth));
      this.#track(this.#pump(server, client, true, closeBoth));
    }
  }

  async #pump(
    from: Deno.TcpConn,
    to: Deno.TcpConn,
    replies: boolean,
    closeBoth: () => void,
  ): Promise<void> {
    const buf = new Uint8Array(64 * 1024);
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const n = await from.read(buf);
        if (n === null) break;
        const chunk = buf.subarray(0, n);
        const cut = this.#cut;
        if (
          replies && cut !== null && decoder.decode(chunk).includes(cut.text)
        ) {
          this.#cut = null;
          this.#cuts++;
          closeBoth();
          cut.done();
          return;
        }
        let written = 0;
        while (written < n) written += await to.write(chunk.subarray(written));
      }
    } catch {
      // the other side went away
    }
    closeBoth();
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    try {
      this.#listener.close();
    } catch {
      // already closed
    }
    for (const c of [...this.#conns]) {
      this.#conns.delete(c);
      try {
        c.close();
      } catch {
        // already closed
      }
    }
    while (this.#tasks.size > 0) await Promise.all([...this.#tasks]);
  }

  /** `await using proxy = RedisProxy.start(server.port)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * A consumer in a child process (`deno run SCRIPT ARGS`), for the tests
 * whose consumers die for real: it resolves `start()` once the script
 * prints "ready"; `lines` holds what it printed on stdout since; `stop()`
 * closes its stdin (the scripts stop cleanly then) and checks that it
 * exited 0; `kill()` sends SIGKILL.
 */
export class ConsumerProcess {
  readonly name: string;
  /** Its stdout, line by line (the partial last line not yet). */
  readonly lines: string[] = [];
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #partial = "";
  #stderr = "";
  readonly #reading: Promise<unknown>;
  #exited = false;
  readonly #status: Promise<Deno.CommandStatus>;

  private constructor(name: string, child: Deno.ChildProcess) {
    this.name = name;
    this.#child = child;
    this.#stdin = child.stdin.getWriter();
    const read = async (
      stream: ReadableStream<Uint8Array>,
      add: (s: string) => void,
    ) => {
      for await (const s of stream.pipeThrough(new TextDecoderStream())) {
        add(s);
      }
    };
    this.#reading = Promise.all([
      read(child.stdout, (s) => {
        const parts = (this.#partial + s).split("\n");
        this.#partial = parts.pop()!;
        for (const line of parts) this.lines.push(line);
      }),
      read(child.stderr, (s) => this.#stderr += s),
    ]);
    this.#status = child.status.then((status) => {
      this.#exited = true;
      return status;
    });
  }

  /** What it printed on stderr so far. */
  get stderr(): string {
    return this.#stderr;
  }

  /**
   * Starts `script` with `args`; resolves once it prints "ready" (or a
   * line that starts with `options.ready`).
   */
  static async start(
    script: URL,
    args: string[],
    name: string,
    options: { ready?: string } = {},
  ): Promise<ConsumerProcess> {
    const ready = options.ready ?? "ready";
    const isReady = (line: string) =>
      options.ready === undefined ? line === ready : line.startsWith(ready);
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net",
        "--allow-env",
        "--allow-read",
        "--allow-sys",
        script.pathname,
        ...args,
      ],
      cwd: new URL("../", import.meta.url).pathname,
      env: { NO_COLOR: "1" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const consumer = new ConsumerProcess(name, child);
    const deadline = performance.now() + 30_000;
    while (!consumer.lines.some(isReady) && !consumer.#exited) {
      if (performance.now() > deadline) break;
      await pause(10);
    }
    if (!consumer.lines.some(isReady)) {
      await consumer.kill();
      throw new Error(
        `consumer ${name} did not start:\n${consumer.#stderr}`,
      );
    }
    return consumer;
  }

  /** Closes its stdin (it stops cleanly) and waits; fails if it failed. */
  async stop(): Promise<void> {
    await this.#stdin.close().catch(() => {});
    const { code } = await this.#status;
    await this.#reading;
    if (code !== 0) {
      throw new Error(
        `consumer ${this.name} failed (${code}):\n${this.#stderr}`,
      );
    }
  }

  /** SIGTERM, and waits; fails if it did not exit 0. */
  async terminate(): Promise<void> {
    if (!this.#exited) {
      try {
        this.#child.kill("SIGTERM");
      } catch {
        // already gone
      }
    }
    await this.#stdin.close().catch(() => {});
    const { code } = await this.#status;
    await this.#reading;
    if (code !== 0) {
      throw new Error(
        `consumer ${this.name} failed (${code}):\n${this.#stderr}`,
      );
    }
  }

  /** SIGKILL, and waits for it. */
  async kill(): Promise<void> {
    if (!this.#exited) {
      try {
        this.#child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }
    await this.#stdin.close().catch(() => {});
    await this.#status;
    await this.#reading;
  }

  /** `await using`: SIGKILL if it is still running. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.kill();
  }
}
