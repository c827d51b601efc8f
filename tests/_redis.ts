// Fixtures for the RedisTaskSource tests (tests/redis_test.ts and the
// consumer processes it spawns, tests/_redis_consumer.ts): a throw-away
// `redis-server` on a free loopback port, in a temporary directory under
// /tmp, without persistence, that a test can stop and start again on the
// same port; and node-redis connections in the `{ command(args) }` shape
// RedisTaskSource takes. Not a test file.
// deno-lint-ignore no-import-prefix
import { createClient } from "npm:redis@5.10.0";
import type { RedisConnection } from "../redis.ts";

/** Why a test cannot run without the `redis-server` command. */
export const NO_REDIS_SERVER =
  "the Redis tests need the redis-server command (Redis 6.2 or later, for " +
  "BLMOVE) on PATH: install it (Debian/Ubuntu: apt-get install redis-server)";

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
 * for it), `restart()` starts it again on the same port (empty: there is no
 * persistence), `close()` stops it and removes its directory.
 */
export class RedisServer {
  readonly port: number;
  readonly dir: string;
  #child: Deno.ChildProcess | null = null;
  #stderr: Promise<string> = Promise.resolve("");

  private constructor(port: number, dir: string) {
    this.port = port;
    this.dir = dir;
  }

  /** `redis://127.0.0.1:PORT`. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts a server on a free loopback port; resolves once it answers. */
  static async start(): Promise<RedisServer> {
    // Under /tmp: the test task may write there only.
    const dir = await Deno.makeTempDir({
      dir: "/tmp",
      prefix: "asyncio-redis-",
    });
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const server = new RedisServer(freePort(), dir);
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
          "--appendonly",
          "no",
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
