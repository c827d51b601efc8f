// Coroutine functions must be async even when they do not await.
// deno-lint-ignore-file require-await
// Tests of run() and Runner (src/runners.ts).
import assert from "node:assert/strict";
import {
  type AbstractEventLoop,
  createTask,
  currentTask,
  type ExceptionContext,
  getEventLoop,
  getRunningLoop,
  newEventLoop,
  run,
  Runner,
  sleep,
} from "../mod.ts";

const VT = { virtualTime: true };

Deno.test("run() returns the result of main", async () => {
  const result = await run(async () => {
    await sleep(1);
    return "main result";
  }, VT);
  assert.equal(result, "main result");
});

Deno.test("run() throws the error main raised", async () => {
  const err = new RangeError("main failed");
  await assert.rejects(
    run(async () => {
      await sleep(0.1);
      throw err;
    }, VT),
    (e) => e === err,
  );
});

Deno.test("run() runs main as a task on a new loop and closes the loop at the end", async () => {
  let loop: AbstractEventLoop | undefined;
  let inTask = false;
  await run(async () => {
    loop = getRunningLoop();
    inTask = currentTask() !== null;
    assert.equal(loop.isRunning(), true);
  }, VT);
  assert.equal(inTask, true);
  assert.ok(loop);
  assert.equal(loop.isClosed(), true);
  assert.equal(loop.isRunning(), false);
  assert.throws(() => getRunningLoop(), /no running event loop/);
});

Deno.test("run() uses a new loop each time", async () => {
  const a = await run(async () => getRunningLoop(), VT);
  const b = await run(async () => getRunningLoop(), VT);
  assert.notEqual(a, b);
});

Deno.test("run() cancels the tasks main left over and their finally blocks run, awaits included", async () => {
  const log: string[] = [];
  await run(async () => {
    const leftover = async (name: string) => {
      try {
        await sleep(3600);
        log.push(`${name} finished`);
      } finally {
        await sleep(1);
        log.push(`${name} cleaned up`);
      }
    };
    createTask(() => leftover("a"));
    createTask(() => leftover("b"));
    await sleep(0.1);
    log.push("main done");
  }, VT);
  // Python cancels the leftovers in set order: any order will do.
  assert.equal(log[0], "main done");
  assert.deepEqual(log.slice(1).sort(), ["a cleaned up", "b cleaned up"]);
});

Deno.test("an error raised by a leftover task while it is cancelled is reported to the exception handler", async () => {
  const seen: ExceptionContext[] = [];
  const err = new Error("cleanup failed");
  await run(async () => {
    getRunningLoop().setExceptionHandler((_loop, ctx) => seen.push(ctx));
    createTask(async () => {
      try {
        await sleep(3600);
      } catch {
        throw err; // raised while being cancelled
      }
    });
    await sleep(0);
  }, VT);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].exception, err);
  assert.match(
    seen[0].message,
    /unhandled exception during asyncio.run\(\) shutdown/,
  );
});

Deno.test("run() inside a running loop is an error that says what to do instead", async () => {
  await run(async () => {
    let started = false;
    await assert.rejects(
      () =>
        run(async () => {
          started = true;
        }),
      (e) =>
        e instanceof Error &&
        /cannot be called from a running event loop/.test(e.message) &&
        /await/.test(e.message),
    );
    assert.equal(started, false);
  }, VT);
});

Deno.test("run() with debug: true turns on the loop's debug mode", async () => {
  const debug = await run(async () => getRunningLoop().getDebug(), {
    ...VT,
    debug: true,
  });
  assert.equal(debug, true);
  assert.equal(await run(async () => getRunningLoop().getDebug(), VT), false);
});

Deno.test("run() with virtualTime runs on a virtual clock starting at 0", async () => {
  const [start, end] = await run(async () => {
    const loop = getRunningLoop();
    const start = loop.time();
    await sleep(86400);
    return [start, loop.time()];
  }, VT);
  assert.equal(start, 0);
  assert.equal(end, 86400);
});

Deno.test("after run(), there is no current loop: getEventLoop() throws (Python 3.13)", async () => {
  await run(async () => {
    assert.equal(getEventLoop(), getRunningLoop());
  }, VT);
  assert.throws(
    () => getEventLoop(),
    /There is no current event loop in thread 'MainThread'/,
  );
});

Deno.test("a Runner runs several coroutine functions on one loop", async () => {
  const runner = new Runner(VT);
  try {
    const loop = runner.getLoop();
    const first = await runner.run(async () => {
      await sleep(1);
      return getRunningLoop();
    });
    const second = await runner.run(async () => {
      await sleep(1);
      return getRunningLoop().time();
    });
    assert.equal(first, loop);
    assert.equal(second, 2);
    assert.equal(loop.isClosed(), false);
  } finally {
    await runner.close();
  }
  assert.throws(() => runner.getLoop(), /Runner is closed/);
});

Deno.test("a task left pending by one Runner.run() goes on in the next one", async () => {
  const log: string[] = [];
  await using runner = new Runner(VT);
  await runner.run(async () => {
    createTask(async () => {
      await sleep(1);
      log.push("background done");
    });
  });
  assert.deepEqual(log, []);
  await runner.run(async () => {
    await sleep(2);
  });
  assert.deepEqual(log, ["background done"]);
});

Deno.test("closing a Runner cancels leftover tasks and closes its loop", async () => {
  const log: string[] = [];
  const runner = new Runner(VT);
  await runner.run(async () => {
    createTask(async () => {
      try {
        await sleep(3600);
      } finally {
        log.push("leftover cancelled");
      }
    });
  });
  const loop = runner.getLoop();
  await runner.close();
  assert.deepEqual(log, ["leftover cancelled"]);
  assert.equal(loop.isClosed(), true);
  await runner.close(); // closing twice is harmless
  await assert.rejects(() => runner.run(async () => 1), /Runner is closed/);
});

Deno.test("Runner.run() inside a running loop is an error", async () => {
  await run(async () => {
    await using runner = new Runner(VT);
    await assert.rejects(
      () => runner.run(async () => 1),
      /cannot be called from a running event loop/,
    );
  }, VT);
});

Deno.test("a Runner uses the loop its loopFactory makes", async () => {
  const made = newEventLoop(VT);
  await using runner = new Runner({ loopFactory: () => made });
  assert.equal(runner.getLoop(), made);
  assert.equal(await runner.run(async () => getRunningLoop()), made);
});

Deno.test("SIGINT during run() cancels main, runs its finally block and exits with status 130", async () => {
  const dir = await Deno.makeTempDir({ prefix: "asyncio_sigint_" });
  try {
    const script = `${dir}/sigint.ts`;
    const mod = new URL("../mod.ts", import.meta.url).href;
    await Deno.writeTextFile(
      script,
      `import { run, sleep } from ${JSON.stringify(mod)};
await run(async () => {
  try {
    console.log("started");
    await sleep(3600);
    console.log("slept");
  } finally {
    console.log("cleanup");
  }
});
console.log("after run");
`,
    );
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--no-check", "--allow-read", script],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(child.stderr).text();
    const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    let out = "";
    let signalled = false;
    try {
      const reader = child.stdout.pipeThrough(new TextDecoderStream())
        .getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        out += value;
        if (!signalled && out.includes("started\n")) {
          signalled = true;
          child.kill("SIGINT");
        }
      }
    } finally {
      clearTimeout(killer);
    }
    const status = await child.status;
    const err = await stderr;
    assert.equal(signalled, true, `no "started" line; stderr: ${err}`);
    assert.equal(out, "started\ncleanup\n", `stderr: ${err}`);
    assert.equal(status.code, 130, `stderr: ${err}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
