// examples/dynamic-tasks/redis_dynamic_tasks.ts end to end, on the real
// clock, with the redis-server it starts itself (without redis-server on
// PATH these tests fail and say how to install it, as tests/redis_test.ts
// does).
// It is not a port with a recorded CPython output (see examples_test.ts),
// so the order of the completions and the times are checked here.
import assert from "node:assert/strict";
import { NO_REDIS_SERVER, redisMissing, redisServerFound } from "./_redis.ts";

const examplesDir = new URL("../examples/", import.meta.url);

function command(args: string[] = []): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-env",
      "--allow-read",
      "--allow-run",
      "--allow-net",
      "--allow-sys",
      `--allow-write=${Deno.env.get("TMPDIR") ?? "/tmp"}`,
      "dynamic-tasks/redis_dynamic_tasks.ts",
      ...args,
    ],
    cwd: examplesDir,
    // An empty REDIS_URL counts as unset: the example starts its own server.
    env: { REDIS_URL: "", ASYNCIO_VIRTUAL_TIME: "0", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  });
}

const CTIME = /^(?:当前时间: )?\w{3} \w{3} [ \d]\d (\d\d):(\d\d):(\d\d) \d{4}$/;

/** Seconds of the day of a ctime line. */
function secondsOf(line: string): number {
  const m = CTIME.exec(line);
  assert.ok(m, `not a ctime line: ${JSON.stringify(line)}`);
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

Deno.test({
  ignore: redisMissing,
  name: "redis_dynamic_tasks: 1, 3, the late 2, then 5 complete, in ~5 s",
  async fn() {
    if (!redisServerFound) assert.fail(NO_REDIS_SERVER);
    const started = performance.now();
    const { code, stdout, stderr } = await command().output();
    const elapsed = (performance.now() - started) / 1000;
    const text = new TextDecoder().decode(stdout);
    assert.equal(
      code,
      0,
      `exit ${code}; stderr:\n${new TextDecoder().decode(stderr)}`,
    );
    const lines = text.trimEnd().split("\n");
    assert.equal(lines.length, 10, text);
    const done = [1, 3, 5, 7].map((i) => lines[i]);
    assert.deepEqual(done, [
      "1秒的任务 协程运行完..",
      "3秒的任务 协程运行完..",
      "2秒的任务 协程运行完..",
      "5秒的任务 协程运行完..",
    ]);
    // Times after the first ctime: 1, 3, 4 (pushed at 2 s) and 5 seconds;
    // ctime drops fractions, so each may read one more (or less, across
    // midnight no test runs long enough to care).
    const t0 = secondsOf(lines[0]);
    const at = [2, 4, 6, 8].map((i) => secondsOf(lines[i]) - t0);
    [1, 3, 4, 5].forEach((want, k) =>
      assert.ok(
        at[k] >= want && at[k] <= want + 1,
        `completion ${k} at +${at[k]} s, expected ~${want} s:\n${text}`,
      )
    );
    assert.match(lines[9], /--forever/);
    // Start-up, 5 s of tasks, and a clean stop (close, Workers, redis-server).
    assert.ok(elapsed < 8, `took ${elapsed.toFixed(1)} s`);
  },
});

Deno.test({
  ignore: redisMissing,
  name:
    "redis_dynamic_tasks --forever takes tasks pushed from outside and stops cleanly on Ctrl-C",
  async fn() {
    if (!redisServerFound) assert.fail(NO_REDIS_SERVER);
    const child = command(["--forever"]).spawn();
    const lines: string[] = [];
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    let buffered = "";
    let seen = 0;
    /**
     * Reads stdout until a line after those matched so far matches
     * `pattern`; returns that line.
     */
    const until = async (pattern: RegExp): Promise<string> => {
      for (;;) {
        const i = lines.findIndex((l, k) => k >= seen && pattern.test(l));
        if (i >= 0) {
          seen = i + 1;
          return lines[i];
        }
        const { value, done } = await reader.read();
        assert.ok(
          !done,
          `stdout ended before ${pattern}:\n${lines.join("\n")}`,
        );
        buffered += value;
        const parts = buffered.split("\n");
        buffered = parts.pop()!;
        lines.push(...parts);
      }
    };
    try {
      const hint = await until(/从另一个终端添加任务: redis-cli -p \d+/);
      const port = Number(/-p (\d+)/.exec(hint)![1]);
      await until(/^5秒的任务 协程运行完\.\.$/);
      // What the seed's user does in redis-cli: LPUSH queue 1.
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(
        new TextEncoder().encode(
          "*3\r\n$5\r\nLPUSH\r\n$5\r\nqueue\r\n$1\r\n1\r\n",
        ),
      );
      await conn.read(new Uint8Array(64));
      conn.close();
      const pushed = performance.now();
      await until(/^1秒的任务 协程运行完\.\.$/);
      // 4 completions before; the pushed one is the fifth.
      assert.equal(
        lines.filter((l) => l.endsWith("协程运行完..")).length,
        5,
        lines.join("\n"),
      );
      const took = (performance.now() - pushed) / 1000;
      assert.ok(took >= 0.9 && took < 2, `pushed 1 s task took ${took} s`);
      // Ctrl-C: run() cancels main, whose finally stops everything, then
      // exits with 130 (as Python's asyncio.run raises KeyboardInterrupt).
      child.kill("SIGINT");
      const { code } = await child.status;
      assert.equal(code, 130);
      // Its redis-server was stopped with it.
      await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port }));
    } finally {
      try {
        child.kill("SIGKILL"); // only if a check above failed
      } catch {
        // it has exited
      }
      await child.status;
      reader.releaseLock();
      await child.stdout.cancel().catch(() => {});
    }
    assert.equal(await new Response(child.stderr).text(), "");
  },
});
