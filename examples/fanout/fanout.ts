/**
 * Beyond one machine: a producer fans out 1,000 CPU jobs over Redis to two
 * consumer processes (`serve-executor --threads 2`, as you would start on
 * other machines), prints a progress line, kills one consumer with SIGKILL
 * midway, and still gets every result back: its jobs go to the survivor
 * once its heartbeat has expired.
 *
 *   deno task example fanout
 *
 * Uses `REDIS_URL`, or starts a throw-away `redis-server`.
 *
 * @module
 */
import { run, workerModule } from "../../mod.ts";
import { RedisExecutor } from "../../redis.ts";
import { findRedis, NO_REDIS } from "../_redis.ts";
import { fib } from "./jobs.ts"; // to check the results here
import type * as Jobs from "./jobs.ts";

const jobs = workerModule<typeof Jobs>(new URL("./jobs.ts", import.meta.url));
const N = 1000;
const queue = `fanout-${Deno.pid}`;

const redis = await findRedis();
if (redis === null) {
  console.log(NO_REDIS);
  Deno.exit(0);
}

/** A consumer process, as `deno task serve-executor` starts one. */
function consumer(name: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-env",
      "--allow-sys",
      new URL("../../serve_executor.ts", import.meta.url).pathname,
      ...["--url", redis!.url, "--queue", queue, "--name", name],
      ...["--threads", "2", "--heartbeat", "0.2", "--dead-after", "1"],
    ],
    cwd: new URL("../../", import.meta.url).pathname,
    stdout: "null",
    stderr: "inherit",
  }).spawn();
}

const consumers = [consumer("A"), consumer("B")];
try {
  await run(async () => {
    await using executor = new RedisExecutor({ url: redis.url, queue });
    const t0 = performance.now();
    let done = 0;
    let killed = false;
    const progress = () =>
      Deno.stdout.writeSync(
        new TextEncoder().encode(`\r${done}/${N} results`),
      );
    const futures = Array.from({ length: N }, (_, i) => {
      const f = executor.submit(jobs.fib, 18 + (i % 5));
      f.then(() => {
        done++;
        if (done % 50 === 0) progress();
        if (done === N / 2 && !killed) {
          killed = true;
          consumers[0].kill("SIGKILL");
          console.log(`\nconsumer A killed (SIGKILL) at ${done}/${N}`);
        }
      }, () => {});
      return f;
    });
    const results = await Promise.all(futures);
    progress();
    const wrong = results.filter((r, i) => r !== fib(18 + (i % 5)));
    console.log(
      `\n${results.length} results back, ${wrong.length} wrong, in ${
        ((performance.now() - t0) / 1000).toFixed(1)
      } s`,
    );
  });
} finally {
  for (const c of consumers) {
    try {
      c.kill("SIGTERM");
    } catch {
      // already gone
    }
    await c.status;
  }
  await redis.stop();
}
