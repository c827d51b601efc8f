/**
 * Redis for the Redis example, its test and the Redis benchmark: the
 * server at `REDIS_URL` when that is set, otherwise a `redis-server` of our
 * own on a free loopback port, in a temporary directory, without
 * persistence; and node-redis connections in the shape `RedisTaskSource`
 * takes (`{ command(args) }`).
 *
 * The library itself has no Redis client: the example brings node-redis
 * (`npm:redis@5.10.0`).
 *
 * @module
 */
// Pinned, as the other npm imports here (deno.lock has it).
// deno-lint-ignore no-import-prefix
import { createClient } from "npm:redis@5.10.0";
import type { RedisConnection } from "../redis.ts";

/** A Redis server to use; `stop()` stops it if we started it. */
export interface RedisServer {
  /** `redis://127.0.0.1:PORT`. */
  readonly url: string;
  /** True when the server is ours (not `REDIS_URL`). */
  readonly own: boolean;
  /** The `redis-cli` arguments that reach it (`-p 6380`, or `-u URL`). */
  readonly cli: string;
  /** Stops our server and removes its directory; nothing for `REDIS_URL`. */
  stop(): Promise<void>;
}

/** How to get a Redis server, for the message when there is none. */
export const NO_REDIS =
  "No Redis server: set REDIS_URL (e.g. REDIS_URL=redis://127.0.0.1:6379), " +
  "or install redis-server (Debian/Ubuntu: sudo apt-get install redis-server; " +
  "macOS: brew install redis) so that the example can start its own.";

/** Whether `redis-server` can be run (it is on PATH). */
export async function haveRedisServer(): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("redis-server", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/**
 * Starts `redis-server` on a free loopback port in a new temporary
 * directory and waits until it accepts connections. Throws when
 * `redis-server` cannot be run.
 */
export async function startRedisServer(): Promise<RedisServer> {
  const dir = await Deno.makeTempDir({ prefix: "asyncio_redis_" });
  for (let attempt = 0;; attempt++) {
    const port = freePort();
    const child = new Deno.Command("redis-server", {
      args: [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--save",
        "",
        "--appendonly",
        "no",
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const exited = child.status.then(() => false);
    let up = false;
    for (let i = 0; i < 100 && !up; i++) {
      up = await Promise.race([ping(port), exited]);
      if (!up && await Promise.race([exited.then(() => true), wait(50)])) {
        break;
      }
    }
    if (up) {
      let stopped: Promise<void> | undefined;
      return {
        url: `redis://127.0.0.1:${port}`,
        own: true,
        cli: `-p ${port}`,
        stop: () =>
          stopped ??= (async () => {
            try {
              child.kill("SIGTERM");
            } catch {
              // already gone
            }
            await child.status;
            await child.stderr.cancel().catch(() => {});
            await Deno.remove(dir, { recursive: true }).catch(() => {});
          })(),
      };
    }
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await child.status;
    const err = await new Response(child.stderr).text().catch(() => "");
    // Someone may have taken the port between freePort() and the bind.
    if (attempt < 3) continue;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw new Error(`redis-server did not start: ${err.trim()}`);
  }
}

const wait = (ms: number) =>
  new Promise<boolean>((r) => setTimeout(() => r(false), ms));

async function ping(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await conn.write(new TextEncoder().encode("PING\r\n"));
      const buf = new Uint8Array(16);
      const n = await conn.read(buf);
      return n !== null &&
        new TextDecoder().decode(buf.subarray(0, n)).startsWith("+PONG");
    } finally {
      conn.close();
    }
  } catch {
    return false;
  }
}

/**
 * `REDIS_URL` when set, else our own `redis-server`; null when there is
 * neither (print {@link NO_REDIS} then).
 */
export async function findRedis(): Promise<RedisServer | null> {
  const url = Deno.env.get("REDIS_URL");
  if (url) {
    return { url, own: false, cli: `-u ${url}`, stop: async () => {} };
  }
  if (!await haveRedisServer()) return null;
  return await startRedisServer();
}

/** A node-redis client as a `RedisConnection`, and how to close it. */
export interface Client extends RedisConnection {
  /** Closes the connection (after the commands sent so far). */
  close(): Promise<void>;
}

/**
 * Connects a node-redis client to `url`. It reconnects by itself for ever
 * (`reconnectStrategy`), and its errors are ignored here: the task source
 * retries what failed.
 */
export async function connect(url: string): Promise<Client> {
  const client = createClient({
    url,
    socket: {
      reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 1000),
    },
  });
  // Without a listener node-redis throws its connection errors.
  client.on("error", () => {});
  await client.connect();
  return {
    command: (args: string[]) => client.sendCommand(args),
    close: async () => {
      await client.close();
    },
  };
}
