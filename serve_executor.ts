/**
 * A consumer of a Redis executor's queue, from a shell: `@aio/asyncio/serve-executor`.
 *
 * ```sh
 * deno task serve-executor --queue jobs --threads 4        # in this repository
 * deno run --allow-net --allow-read --allow-env --allow-sys \
 *   jsr:@aio/asyncio/serve-executor --url redis://10.0.0.5:6379 --queue jobs
 * ```
 *
 * It prints one line once it takes jobs, and runs until Ctrl-C or SIGTERM,
 * which put the jobs it has not finished back on the queue.
 *
 * @example
 * ```ts ignore
 * import { main } from "@aio/asyncio/serve-executor";
 *
 * Deno.exitCode = await main(["--queue", "jobs", "--threads", "2"]);
 * ```
 *
 * @module
 */
import { run } from "./mod.ts";
import { serveExecutor, type ServeExecutorOptions } from "./redis.ts";

const USAGE = `serve-executor: serves a RedisExecutor queue

  --url URL            Redis (default: $REDIS_URL, else redis://127.0.0.1:6379)
  --queue NAME         the queue (default: jobs)
  --concurrency N      the most jobs held at once (default: threads, else 16)
  --threads N          run jobs on N Workers (CPU work); default: on the loop
  --allow-module URL   run functions of modules under this URL prefix only
                       (repeatable; default: the current directory)
  --name NAME          this consumer's name (default: host:pid:random)
  --heartbeat S        seconds between heartbeats (default 1)
  --dead-after S       seconds without one before others take its jobs (default 5)
  --block-timeout S    seconds one BLMOVE blocks (default 1)
`;

/** Options from the command line; throws a TypeError on a bad one. */
function parse(args: readonly string[]): ServeExecutorOptions {
  const options: ServeExecutorOptions = {};
  const allow: string[] = [];
  const number = (flag: string, value: string | undefined): number => {
    const n = Number(value);
    if (value === undefined || value === "" || !Number.isFinite(n)) {
      throw new TypeError(`${flag} takes a number, got ${value}`);
    }
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const [name, inline] = flag.includes("=")
      ? [flag.slice(0, flag.indexOf("=")), flag.slice(flag.indexOf("=") + 1)]
      : [flag, undefined];
    const value = () => inline ?? args[++i];
    switch (name) {
      case "--url":
        options.url = value();
        break;
      case "--queue":
        options.queue = value();
        break;
      case "--concurrency":
        options.concurrency = number(name, value());
        break;
      case "--threads":
        options.threads = number(name, value());
        break;
      case "--allow-module":
        allow.push(value());
        break;
      case "--name":
        options.consumer = value();
        break;
      case "--heartbeat":
        options.heartbeat = number(name, value());
        break;
      case "--dead-after":
        options.deadAfter = number(name, value());
        break;
      case "--block-timeout":
        options.blockTimeout = number(name, value());
        break;
      default:
        throw new TypeError(`unknown option ${flag}`);
    }
  }
  if (allow.length > 0) options.allow = allow;
  options.url ??= Deno.env.get("REDIS_URL") || "redis://127.0.0.1:6379";
  return options;
}

/**
 * Runs a consumer with command-line `args` until Ctrl-C or SIGTERM;
 * resolves to the exit code (2 for a bad option, 1 if it cannot start).
 *
 * @example
 * ```ts ignore
 * Deno.exitCode = await main(["--queue", "jobs", "--concurrency", "8"]);
 * ```
 */
export async function main(args: readonly string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  let options: ServeExecutorOptions;
  try {
    options = parse(args);
  } catch (error) {
    console.error(`serve-executor: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  let code = 0;
  await run(async () => {
    let server;
    try {
      server = await serveExecutor(options);
    } catch (error) {
      console.error(`serve-executor: ${(error as Error).message}`);
      code = 1;
      return;
    }
    const stop = () => void server.close();
    Deno.addSignalListener("SIGTERM", stop);
    try {
      const { concurrency, threads } = options;
      console.log(
        `serving ${
          JSON.stringify(server.queue)
        } as ${server.consumer} on ${options.url} (concurrency ${
          concurrency ?? (threads || 16)
        }, ${threads ? `${threads} threads` : "on the loop"})`,
      );
      await server.serveForever();
    } finally {
      Deno.removeSignalListener("SIGTERM", stop);
      await server.close();
    }
  });
  return code;
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
