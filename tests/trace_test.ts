// Traces (issue 16, item 4): startTrace / stopTrace, run(main, { trace }),
// ASYNCIO_TRACE, the Chrome trace event JSON they write (checked against
// the format by tests/_trace_check.ts), and the HTML timeline page, loaded
// in a real headless Chromium (tests/_chromium.ts). Without Chromium the
// page test is skipped with one line that says what to install, unless
// ASYNCIO_REQUIRE_CHROMIUM=1 (as .ci/run sets it): then it fails.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  CancelledError,
  type ChromeTrace,
  Condition,
  createTask,
  isTracing,
  run,
  sleep,
  startTrace,
  stopTrace,
  timelineHtml,
  type TraceEvent,
  writeTimeline,
} from "../mod.ts";
import { program } from "./_trace_program.ts";
import { traceProblems, trackNames } from "./_trace_check.ts";
import {
  countColour,
  decodePng,
  findChromium,
  NO_CHROMIUM,
  processMentioning,
  render,
} from "./_chromium.ts";
import { workerTest } from "./_helpers.ts";

const root = new URL("../", import.meta.url);

async function traced<T>(
  main: () => Promise<T>,
): Promise<{ value: T; json: ChromeTrace }> {
  startTrace();
  let value: T;
  try {
    value = await run(main, { virtualTime: true });
  } catch (error) {
    stopTrace();
    throw error;
  }
  return { value, json: stopTrace().toChromeTrace() };
}

// The tracks named `name` (tasks are numbered across the whole test run:
// `Task-N` matches any number), in order.
function tidsOf(json: ChromeTrace, name: string): number[] {
  const pattern = new RegExp(
    `^${name.replace(/[()]/g, "\\$&").replace("Task-N", "Task-\\d+")}$`,
  );
  const tids: number[] = [];
  for (const [tid, track] of trackNames(json)) {
    if (pattern.test(track)) tids.push(tid);
  }
  return tids;
}

function tidOf(json: ChromeTrace, name: string): number {
  const [tid, ...more] = tidsOf(json, name);
  assert.ok(
    tid !== undefined && more.length === 0,
    `one track named ${name}: ${[...trackNames(json).values()]}`,
  );
  return tid;
}

function slicesOf(json: ChromeTrace, tid: number): TraceEvent[] {
  return json.traceEvents.filter((e) => e.ph === "X" && e.tid === tid);
}

// The track a slice was woken from: the start of the flow that ends where
// it begins.
function wokenFrom(json: ChromeTrace, slice: TraceEvent): number | null {
  const end = json.traceEvents.find((e) =>
    e.ph === "f" && e.tid === slice.tid && e.ts === slice.ts
  );
  if (end === undefined) return null;
  const start = json.traceEvents.find((e) =>
    e.ph === "s" && e.id === end.id && e.cat === end.cat
  );
  return start?.tid ?? null;
}

workerTest(
  "a trace of tasks, a lock, a queue, timers, a gather and a Worker job is valid Chrome trace event JSON",
  async () => {
    const { value, json } = await traced(program);
    assert.equal(value, 1 + 2 + 3 + 1 + 3);
    assert.deepEqual(traceProblems(json), []);
    for (
      const track of ["event loop", "Worker 1", "Task-N (program)", "consumer"]
    ) {
      tidOf(json, track);
    }
    const producers = tidsOf(json, "Task-N (producer)");
    assert.equal(producers.length, 3);
    const waits = new Set(
      json.traceEvents.filter((e) =>
        e.ph === "X" && e.name!.startsWith("await")
      )
        .map((e) => e.name),
    );
    for (
      const wait of [
        "await gather()",
        "await Queue.get() on Queue 1",
        "await Lock.acquire() on Lock 1",
        "await sleep(0.01)",
        "await executor job 0: add()",
      ]
    ) assert.ok(waits.has(wait), `${wait} in ${[...waits]}`);
    // The timers: set in a step (an instant), run on the loop's track.
    const loop = slicesOf(json, tidOf(json, "event loop")).map((e) => e.name);
    assert.ok(loop.includes("timer tick()"), `${loop}`);
    assert.ok(loop.includes("sleep(0.01) timer"), `${loop}`);
    assert.ok(
      json.traceEvents.some((e) =>
        e.ph === "i" && e.name === "callLater(0.005) tick()"
      ),
    );
    // Each producer after the first waited for the lock and was woken by
    // the producer that released it.
    for (const [i, tid] of producers.entries()) {
      const slices = slicesOf(json, tid);
      const wait = slices.findIndex((e) =>
        e.name === "await Lock.acquire() on Lock 1"
      );
      if (i === 0) {
        assert.equal(wait, -1, "the first producer takes the lock at once");
        continue;
      }
      const step = slices[wait + 1];
      assert.equal(step.name, "step");
      assert.equal(wokenFrom(json, step), producers[i - 1]);
    }
    // Every task's last step says how it ended.
    for (const tid of producers) {
      assert.deepEqual(slicesOf(json, tid).at(-1)!.args, { end: "returned" });
    }
    // The job ran on the Worker's track, from the task that submitted it,
    // and its outcome woke the loop (which woke the task).
    const worker = slicesOf(json, tidOf(json, "Worker 1"));
    assert.equal(worker.length, 1);
    assert.equal(worker[0].name, "add()");
    assert.deepEqual(worker[0].args, { job: 0, end: "returned" });
    assert.equal(wokenFrom(json, worker[0]), tidOf(json, "Task-N (program)"));
    const main = slicesOf(json, tidOf(json, "Task-N (program)"));
    const afterJob = main[
      main.findIndex((e) => e.name === "await executor job 0: add()") + 1
    ];
    const callback = slicesOf(json, tidOf(json, "event loop")).find((e) =>
      wokenFrom(json, e) === tidOf(json, "Worker 1")
    );
    assert.ok(callback !== undefined, "a callback woken by the Worker's job");
    assert.equal(wokenFrom(json, afterJob), tidOf(json, "event loop"));
  },
);

Deno.test("a task's tracks show it created, waiting to start, cancelled or failed", async () => {
  const { json } = await traced(async function main() {
    const failing = createTask(async function fails() {
      await sleep(0);
      throw new RangeError("bad");
    }, { name: "fails" });
    const cancelled = createTask(() => sleep(1), { name: "sleeper" });
    await sleep(0);
    cancelled.cancel();
    await assert.rejects(cancelled, CancelledError);
    await assert.rejects(failing, RangeError);
  });
  assert.deepEqual(traceProblems(json), []);
  const fails = slicesOf(json, tidOf(json, "fails"));
  assert.deepEqual(fails.map((e) => e.name), [
    "pending start",
    "step",
    "await sleep(0)",
    "step",
  ]);
  assert.deepEqual(fails.at(-1)!.args, { end: "raised" });
  const sleeper = slicesOf(json, tidOf(json, "sleeper (sleep)"));
  assert.deepEqual(sleeper.map((e) => e.name), [
    "pending start",
    "step",
    "await sleep(1)",
    "step",
  ]);
  assert.deepEqual(sleeper.at(-1)!.args, { end: "cancelled" });
  // Created in main's step: the arrow goes from there to the first step.
  assert.equal(wokenFrom(json, sleeper[1]), tidOf(json, "Task-N (main)"));
});

Deno.test("a wait inside a library coroutine is named after the coroutine and its object", async () => {
  const { json } = await traced(async function main() {
    const condition = new Condition();
    const waiter = createTask(async function waits() {
      using _held = await condition.acquire();
      await condition.wait();
    }, { name: "waits" });
    await sleep(0.01);
    using _held = await condition.acquire();
    condition.notifyAll();
    return waiter;
  });
  assert.deepEqual(traceProblems(json), []);
  assert.deepEqual(slicesOf(json, tidOf(json, "waits")).map((e) => e.name), [
    "pending start",
    "step",
    "await Condition.wait() on Condition 1",
    "step",
  ]);
});

workerTest(
  "the format check finds a broken trace: every kind of damage is reported",
  async () => {
    const { json } = await traced(program);
    assert.deepEqual(traceProblems(json), []);
    // Each damage is applied to a fresh copy of the valid trace.
    const damage = (
      change: (events: TraceEvent[]) => void,
    ): string[] => {
      const copy = structuredClone(json);
      change(copy.traceEvents);
      return traceProblems(copy);
    };
    const first = (events: TraceEvent[], test: (e: TraceEvent) => boolean) => {
      const i = events.findIndex(test);
      assert.ok(i >= 0);
      return i;
    };
    const cases: [string, (events: TraceEvent[]) => void, RegExp][] = [
      ["an unknown phase", (events) => {
        events[first(events, (e) => e.ph === "X")].ph = "Q";
      }, /unknown phase/],
      ["a slice without its duration", (events) => {
        delete events[first(events, (e) => e.ph === "X")].dur;
      }, /X without a dur/],
      ["a track without its name", (events) => {
        events.splice(first(events, (e) => e.name === "thread_name"), 1);
      }, /has no thread_name/],
      ["a flow without its end", (events) => {
        events.splice(first(events, (e) => e.ph === "f"), 1);
      }, /1 starts, 0 ends/],
      ["a time that goes back on its track", (events) => {
        // A slice after another on its track, moved before it.
        const earlier = events.find((e) => e.ph === "X" && e.ts! > 0)!;
        const later = events[
          first(
            events,
            (e) => e.ph === "X" && e.tid === earlier.tid && e.ts! > earlier.ts!,
          )
        ];
        later.ts = earlier.ts! / 2;
      }, /ts goes back on its track/],
      ["overlapping slices", (events) => {
        const x = events[first(events, (e) => e.ph === "X" && e.dur! > 0)];
        events.push({ ...x, ts: x.ts! + x.dur! / 2, dur: x.dur! });
      }, /overlaps/],
    ];
    for (const [what, change, problem] of cases) {
      const problems = damage(change);
      assert.ok(
        problems.some((p) => problem.test(p)),
        `${what}: ${problem} in ${JSON.stringify(problems)}`,
      );
    }
  },
);

Deno.test("tracing is off unless asked for: nothing is recorded", async () => {
  assert.equal(isTracing(), false);
  const seen = await run(async () => {
    await sleep(0);
    return isTracing();
  });
  assert.equal(seen, false);
  assert.throws(() => stopTrace(), /no trace is being recorded/);
  startTrace();
  assert.throws(() => startTrace(), /being recorded already/);
  const trace = stopTrace();
  const events = trace.events;
  await run(() => sleep(0));
  assert.equal(trace.events, events, "a stopped trace records nothing more");
  assert.equal(isTracing(), false);
});

Deno.test("startTrace() checks its options", () => {
  assert.throws(() => startTrace({ maxEvents: 0 }), RangeError);
  assert.throws(
    () => startTrace({ maxEvents: "10" as unknown as number }),
    TypeError,
  );
  assert.equal(isTracing(), false);
});

Deno.test("a trace cut short at maxEvents is still valid and says so", async () => {
  startTrace({ maxEvents: 25 });
  try {
    await run(async () => {
      for (let i = 0; i < 10; i++) await sleep(0);
    }, { virtualTime: true });
  } catch (error) {
    stopTrace();
    throw error;
  }
  const trace = stopTrace();
  assert.equal(trace.truncated, true);
  assert.equal(trace.events, 25);
  const json = trace.toChromeTrace();
  assert.deepEqual(traceProblems(json), []);
  assert.equal(json.otherData?.truncated, true);
});

Deno.test("run(main, { trace }) writes the trace of the run to the file", async () => {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "asyncio-trace-" });
  try {
    const path = join(dir, "run.json");
    await run(() => sleep(0.01), { virtualTime: true, trace: path });
    assert.equal(isTracing(), false);
    const json = JSON.parse(await Deno.readTextFile(path)) as ChromeTrace;
    assert.deepEqual(traceProblems(json), []);
    assert.ok(
      json.traceEvents.some((e) => e.name === "await sleep(0.01)"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// Runs tests/_trace_program.ts in a fresh process, in an empty directory.
async function runProgram(env: Record<string, string>): Promise<string[]> {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "asyncio-trace-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-env",
        "--allow-read",
        "--allow-write=/tmp",
        new URL("tests/_trace_program.ts", root).pathname,
      ],
      cwd: dir,
      env: { ...env, ASYNCIO_VIRTUAL_TIME: "" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    assert.equal(new TextDecoder().decode(out.stdout).trim(), "10");
    const files: string[] = [];
    for (const entry of Deno.readDirSync(dir)) files.push(entry.name);
    const traces: string[] = [];
    for (const name of files) {
      traces.push(await Deno.readTextFile(join(dir, name)));
    }
    return files.length === 0 ? [] : traces;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a program run without ASYNCIO_TRACE writes no file; with it, a valid trace", async () => {
  assert.deepEqual(await runProgram({ ASYNCIO_TRACE: "" }), []);
  const [text, ...more] = await runProgram({ ASYNCIO_TRACE: "trace.json" });
  assert.equal(more.length, 0);
  const json = JSON.parse(text) as ChromeTrace;
  assert.deepEqual(traceProblems(json), []);
  assert.ok([...trackNames(json).values()].includes("Worker 1"));
});

Deno.test("timelineHtml() refuses what is not a trace, and embeds the data safely", async () => {
  assert.throws(
    () => timelineHtml({} as ChromeTrace),
    /Chrome trace event JSON/,
  );
  const { json } = await traced(async () => {
    await createTask(() => sleep(0), { name: "</script><b>x</b>" });
  });
  const html = timelineHtml(json, { title: "a <title>" });
  assert.ok(!html.includes("</script><b>"), "names cannot end the script");
  assert.ok(html.includes("<title>a &#60;title&#62;</title>"));
});

const chromium = findChromium();
const chromiumRequired = Deno.env.get("ASYNCIO_REQUIRE_CHROMIUM") === "1";
if (chromium === null && !chromiumRequired) {
  console.log(`skipped: ${NO_CHROMIUM}`);
}

workerTest(
  "the timeline page draws every track in headless Chromium, without a script error",
  async () => {
    if (chromium === null) assert.fail(NO_CHROMIUM);
    const { json } = await traced(program);
    const rows = new Set(
      json.traceEvents.filter((e) => e.ph !== "M").map((e) => e.tid),
    ).size;
    const dir = await Deno.makeTempDir({
      dir: "/tmp",
      prefix: "asyncio-timeline-",
    });
    try {
      const page = join(dir, "timeline.html");
      await writeTimeline(json, page, { title: "trace_test" });
      const { png, dom } = await render(chromium, page, 1000, 420, dir);
      // The page says what it drew (data attributes on its body).
      const body = /<body([^>]*)>/.exec(dom)?.[1] ?? "";
      const attr = (name: string) =>
        new RegExp(`data-${name}="([^"]*)"`).exec(body)?.[1];
      assert.equal(attr("errors"), "0", `script errors: ${dom.slice(0, 500)}`);
      assert.equal(attr("rows"), String(rows));
      assert.equal(attr("drawn"), String(rows), "every row is on screen");
      // The screenshot is the window's size; below the header and the time
      // axis it shows steps and waits (the legend's samples in the header
      // do not count), and every row has something drawn right of its label.
      const image = await decodePng(png);
      assert.equal(image.width, 1000);
      assert.equal(image.height, 420);
      const [top, axis, row, label] = (attr("layout") ?? "").split(",")
        .map(Number);
      assert.ok(top > 0 && axis > 0 && row > 0 && label > 0, attr("layout"));
      const canvas = {
        x0: 0,
        y0: top + axis,
        x1: image.width,
        y1: image.height,
      };
      assert.ok(
        countColour(image, [0x3a, 0x7b, 0xd5], 8, canvas) > 50,
        "step bars",
      );
      assert.ok(
        countColour(image, [0xf3, 0xd9, 0xa4], 8, canvas) > 500,
        "wait bars",
      );
      for (let r = 0; r < rows; r++) {
        const bars = {
          x0: label,
          y0: top + axis + r * row + 2,
          x1: image.width,
          y1: top + axis + (r + 1) * row - 2,
        };
        const area = (bars.x1 - bars.x0) * (bars.y1 - bars.y0);
        const background = countColour(image, [255, 255, 255], 2, bars) +
          countColour(image, [0xf7, 0xf7, 0xf7], 2, bars);
        assert.ok(background < area, `row ${r} shows nothing`);
      }
      const white = countColour(image, [255, 255, 255], 0);
      assert.ok(white < image.width * image.height * 0.95, "not blank");
      assert.equal(await processMentioning(dir), false, "Chromium has ended");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
  { ignore: chromium === null && !chromiumRequired },
);
