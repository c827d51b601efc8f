// The Redis executor under faults, for real: consumer processes started
// with the `serve-executor` command (serve_executor.ts), SIGKILLed in the
// middle of their jobs, and a `redis-server` with append-only persistence
// killed and restarted, while a producer in this process waits for 600
// results. Every job's result must come back, nothing may be left in
// Redis, and the jobs that ran twice (at-least-once) are counted.
import assert from "node:assert/strict";
import { waitUntil } from "./_helpers.ts";
import { run, workerModule } from "../mod.ts";
import { RedisExecutor } from "../redis.ts";
import { RespConnection } from "../src/_resp.ts";
import type * as Jobs from "./_executor_jobs.ts";
import { ConsumerProcess, redisMissing, RedisServer } from "./_redis.ts";

const jobs = workerModule<typeof Jobs>(
  new URL("./_executor_jobs.ts", import.meta.url),
);
const command = new URL("../serve_executor.ts", import.meta.url);
const pause = (s: number) => new Promise((r) => setTimeout(r, s * 1000));
const now = () => performance.now() / 1000;

Deno.test(
  "fault suite: 600 jobs, two consumer processes SIGKILLed (one with threads) and Redis killed and restarted (append-only): every result comes back, nothing is left in Redis, duplicates counted",
  { ignore: redisMissing },
  async () => {
    await using server = await RedisServer.start({ appendOnly: true });
    await using redis = new RespConnection(server.url);
    const ask = async (args: string[]): Promise<unknown> => {
      for (;;) {
        try {
          return await redis.command(args);
        } catch {
          await pause(0.02); // Redis is restarting
        }
      }
    };
    const consumers: ConsumerProcess[] = [];
    const start = async (name: string, ...extra: string[]) => {
      const c = await ConsumerProcess.start(
        command,
        [
          "--url",
          server.url,
          "--queue",
          "faults",
          "--name",
          name,
          "--concurrency",
          "4",
          "--heartbeat",
          "0.2",
          "--dead-after",
          "1",
          "--block-timeout",
          "0.2",
          ...extra,
        ],
        name,
        { ready: "serving" },
      );
      consumers.push(c);
      return c;
    };
    const ran = () => {
      const seen = new Map<string, number>();
      for (const c of consumers) {
        for (const line of c.lines) {
          if (line.startsWith("ran ")) {
            seen.set(line.slice(4), (seen.get(line.slice(4)) ?? 0) + 1);
          }
        }
      }
      return seen;
    };
    try {
      const [a, b] = await Promise.all([
        start("A"),
        start("B", "--threads", "2"),
      ]);
      const n = 600;
      const events: string[] = [];
      const t0 = now();
      await run(async () => {
        await using executor = new RedisExecutor({
          url: server.url,
          queue: "faults",
        });
        let done = 0;
        const futures = Array.from(
          { length: n },
          (_, i) => executor.submit(jobs.logged, i, 0.05),
        );
        for (const f of futures) f.then(() => done++, () => {});
        const at = (what: string) =>
          events.push(`${what} at ${(now() - t0).toFixed(2)} s, ${done} back`);

        await waitUntil(() => done >= 100, () => "100 results", 60);
        await a.kill();
        at("A killed");
        const a2 = start("A2");

        await waitUntil(() => done >= 250, () => "250 results", 60);
        await server.kill();
        at("Redis killed");
        await pause(0.3);
        await server.restart();
        at("Redis restarted");

        await waitUntil(() => done >= 400, () => "400 results", 60);
        await b.kill();
        at("B killed");
        await a2;
        await start("B2", "--threads", "2");

        const results = await Promise.all(futures);
        assert.deepEqual(results, Array.from({ length: n }, (_, i) => i));
        at("all back");
      });
      // Nothing left: no job in any list, set or hash of the queue.
      let left: string[] = [];
      await waitUntil(
        async () => {
          left = [];
          for (const key of await ask(["KEYS", "faults*"]) as string[]) {
            const type = await ask(["TYPE", key]);
            const size = type === "list"
              ? await ask(["LLEN", key])
              : type === "hash"
              ? await ask(["HLEN", key])
              : type === "zset"
              ? await ask(["ZCARD", key])
              : type === "stream"
              ? await ask(["XLEN", key])
              : 0;
            // A late copy of a result (a job that ran twice, its first
            // result already read) may land on a reply stream after the
            // producer left: it expires with the stream's time to live.
            const expiring = key.includes(":reply:") &&
              Number(await ask(["PTTL", key])) > 0;
            if (
              Number(size) > 0 && !expiring &&
              !/:(alive|consumers|settled)/.test(key)
            ) {
              left.push(`${key}: ${size}`);
            }
          }
          return left.length === 0;
        },
        () => `nothing left in Redis; left: ${left.join(", ")}`,
        10,
      );
      const took = now() - t0;
      const seen = ran();
      assert.equal(seen.size, n, "every job ran");
      const extra = [...seen.values()].reduce((s, k) => s + k - 1, 0);
      console.log(
        `${n} jobs in ${
          took.toFixed(1)
        } s; ${extra} extra runs; runs by consumer: ${
          consumers.map((c) =>
            `${c.name} ${c.lines.filter((l) => l.startsWith("ran ")).length}`
          ).join(", ")
        }\n  ${events.join("\n  ")}`,
      );
      // At-least-once, not at-least-twice: only the jobs the killed
      // consumers held, and those in flight at the restart, run again.
      assert.ok(extra <= 2 * 4 + 20, `${extra} extra runs`);
      // The survivors stop cleanly on SIGTERM (exit 0).
      const killed = new Set(["A", "B"]);
      await Promise.all(
        consumers.filter((c) => !killed.has(c.name)).map((c) => c.terminate()),
      );
    } finally {
      await Promise.all(consumers.map((c) => c.kill()));
    }
  },
);

Deno.test(
  "the serve-executor command: --help exits 0, a bad option 2, no Redis 1 with the address; on SIGTERM it puts its running job back for another consumer",
  { ignore: redisMissing },
  async () => {
    const runCommand = async (...args: string[]) => {
      const { code, stdout, stderr } = await new Deno.Command(
        Deno.execPath(),
        {
          args: [
            "run",
            "--allow-net",
            "--allow-env",
            "--allow-read",
            "--allow-sys",
            command.pathname,
            ...args,
          ],
          env: { NO_COLOR: "1" },
          stdout: "piped",
          stderr: "piped",
        },
      ).output();
      const text = new TextDecoder();
      return { code, out: text.decode(stdout), err: text.decode(stderr) };
    };
    const help = await runCommand("--help");
    assert.equal(help.code, 0);
    assert.match(help.out, /--queue NAME/);
    const bad = await runCommand("--concurency", "4");
    assert.equal(bad.code, 2);
    assert.match(bad.err, /unknown option --concurency/);
    const away = await runCommand("--url", "redis://127.0.0.1:1");
    assert.equal(away.code, 1);
    assert.match(away.err, /cannot serve "jobs" at 127\.0\.0\.1:1/);

    await using server = await RedisServer.start();
    const args = (name: string) => [
      "--url",
      server.url,
      "--queue",
      "term",
      "--name",
      name,
      "--block-timeout",
      "0.2",
    ];
    await using a = await ConsumerProcess.start(command, args("A"), "A", {
      ready: "serving",
    });
    await run(async () => {
      await using executor = new RedisExecutor({
        url: server.url,
        queue: "term",
      });
      const result = executor.submit(jobs.logged, 7, 1);
      await using redis = new RespConnection(server.url);
      await waitUntil(
        async () =>
          Number(await redis.command(["LLEN", "term:processing:A"])) === 1,
        () => "A to take the job",
        20,
      );
      await a.terminate(); // exits 0
      // (logged() waits on a host timer, which a cancel cannot cut short:
      // A may print "ran 7" on its way out; the job is put back all the same.)
      assert.equal(
        await redis.command(["LLEN", "term"]),
        1,
        "back on the queue",
      );
      await using b = await ConsumerProcess.start(command, args("B"), "B", {
        ready: "serving",
      });
      assert.equal(await result, 7);
      await waitUntil(() => b.lines.includes("ran 7"), () => "B to run it", 5);
      await b.terminate();
    });
  },
);
