// Every example port prints, line by line, what CPython 3.11 printed for
// the original Python program (`examples/FOLDER/MM_NAME.expected.txt`,
// recorded from `examples/FOLDER/MM_NAME.py`; one folder per tutorial, plus
// `examples/hello.ts`). The ports run on the virtual clock, so seconds of
// sleeping take milliseconds and the output order is the real clock's.
//
// Examples that run code in Workers (real threads) say `// clock: real` on
// a line of their own: they run on the real clock, all at the same time so
// that their seconds of sleeping overlap, and the times they print are
// compared with a tolerance (see `matchTimes`).
//
// At the end: `deno task example` (examples/_run.ts) finds every port by its
// name and by its name from before the tutorial folders.
import assert from "node:assert/strict";
import { catalogue, resolve, TUTORIALS } from "../examples/_run.ts";

const examplesDir = new URL("../examples/", import.meta.url);

/**
 * What may differ between CPython's output and ours, and nothing else:
 * - the coroutine and callback parts of task reprs (`coro=<main() running
 *   at /path/x.py:12>`, `cb=[...]`), which name Python files and lines;
 * - snake_case names printed by Python where the port uses camelCase.
 */
export function normalize(text: string): string[] {
  return text
    .replace(/coro=<[^<>]*(?:<[^<>]*>[^<>]*)*>/g, "coro=<...>")
    .replace(/ cb=\[[^\]]*\]/g, "")
    .replace(
      /\b([a-z][a-z0-9]*)_([a-z0-9_]+)\b/g,
      (_m, head, rest) =>
        head +
        rest.replace(/_([a-z0-9])/g, (_x: string, c: string) => c.toUpperCase())
          .replace(/^([a-z0-9])/, (c: string) => c.toUpperCase()),
    )
    .replace(/\n+$/, "")
    .split("\n");
}

// ---------------------------------------------------------------- times

const CTIME =
  /\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([ \d]\d) (\d\d):(\d\d):(\d\d) (\d{4})\b/g;
const MONTHS = "JanFebMarAprMayJunJulAugSepOctNovDec";

/**
 * Python's `time.ctime()` strings (`Thu May 31 22:11:16 2018`) become the
 * whole seconds elapsed since the first one in the text: `<ctime+6>`.
 */
export function ctimesToElapsed(text: string): string {
  let first: number | undefined;
  return text.replace(CTIME, (_m, mon, day, h, min, sec, year) => {
    const t = Date.UTC(
      Number(year),
      MONTHS.indexOf(mon) / 3,
      Number(day),
      Number(h),
      Number(min),
      Number(sec),
    ) / 1000;
    first ??= t;
    return `<ctime+${t - first}>`;
  });
}

/** An elapsed ctime, or a decimal number such as the 3.0 of `总用时:3.0`. */
const TIME = /<ctime\+(-?\d+)>|\d+\.\d+/g;
/**
 * Seconds a decimal number may be off by: early by little, late by more,
 * since a loaded machine (Worker start-up, other processes) runs late but
 * never early. A lost concurrency shows as whole seconds late.
 */
const DECIMAL_TOLERANCE = { early: 0.5, late: 1.2 };
/**
 * Seconds an elapsed ctime may be off by: ctime drops the fraction of a
 * second, so 6.05 s after 16.97 reads as 7 s (23 - 16); late by one more.
 */
const CTIME_TOLERANCE = { early: 1, late: 2 };

function timesOf(line: string): { skeleton: string; times: number[] } {
  const times: number[] = [];
  const skeleton = line.replace(TIME, (m, ctime: string | undefined) => {
    times.push(Number(ctime ?? m));
    return ctime === undefined ? "<n>" : "<ctime>";
  });
  return { skeleton, times };
}

/**
 * For a real-clock example: `actual` with each line that equals its
 * `expected` counterpart up to the times in it replaced by that expected
 * line. The text around the times and the order of the lines must match
 * exactly; elapsed ctimes may be off by `CTIME_TOLERANCE` seconds and
 * decimal numbers by `DECIMAL_TOLERANCE`. Lines that do not match are left
 * as they are, so that comparing the result with `expected` shows them.
 */
export function matchTimes(
  actual: string[],
  expected: string[],
  slack = 0,
): string[] {
  return actual.map((line, i) => {
    if (i >= expected.length) return line;
    const a = timesOf(line);
    const e = timesOf(expected[i]);
    if (a.skeleton !== e.skeleton || a.times.length !== e.times.length) {
      return line;
    }
    const kinds = [...e.skeleton.matchAll(/<ctime>|<n>/g)].map((m) => m[0]);
    const close = a.times.every((t, k) => {
      const tolerance = kinds[k] === "<ctime>"
        ? CTIME_TOLERANCE
        : DECIMAL_TOLERANCE;
      return t - e.times[k] <= tolerance.late + slack &&
        e.times[k] - t <= tolerance.early;
    });
    return close ? expected[i] : line;
  });
}

Deno.test("real-clock outputs are compared up to the times in them", () => {
  const expected = normalize(ctimesToElapsed(
    "Thu May 31 22:11:16 2018\n第一个 协程运行完..\nThu May 31 22:11:22 2018\n总用时:3.0\n",
  ));
  const compare = (text: string) =>
    matchTimes(normalize(ctimesToElapsed(text)), expected);
  assert.deepEqual(expected, [
    "<ctime+0>",
    "第一个 协程运行完..",
    "<ctime+6>",
    "总用时:3.0",
  ]);
  // ctimes count from the first one (across midnight here); 7 s may read
  // as 6, and 3.0 as 3.4.
  assert.deepEqual(
    compare(
      "Mon Mar  4 23:59:58 2024\n第一个 协程运行完..\nTue Mar  5 00:00:05 2024\n总用时:3.4",
    ),
    expected,
  );
  // 9 s instead of 6, 4.5 instead of 3.0, 2.4 (early), other text: left
  // as they are.
  assert.deepEqual(
    compare(
      "Thu May 31 22:11:16 2018\n第二个 协程运行完..\nThu May 31 22:11:25 2018\n总用时:4.5",
    ),
    ["<ctime+0>", "第二个 协程运行完..", "<ctime+9>", "总用时:4.5"],
  );
  assert.deepEqual(
    compare(
      "Thu May 31 22:11:16 2018\n第一个 协程运行完..\nThu May 31 22:11:22 2018\n总用时:2.4",
    ).at(-1),
    "总用时:2.4",
  );
});

// ------------------------------------------------------------- examples

/**
 * The examples under `examples/`, as paths without `.ts`
 * (`first-steps/01_first_gather_last`, `hello`), found in examples/ and in
 * every folder below it that holds Python originals (`.py`): the tutorial
 * folders. The realistic examples (crawler/, chat/, pipeline/) have none,
 * and `_`-files are helpers.
 */
function findPorts(dir = examplesDir, prefix = ""): {
  ts: string[];
  expected: string[];
  py: string[];
} {
  const found = {
    ts: [] as string[],
    expected: [] as string[],
    py: [] as string[],
  };
  const entries = [...Deno.readDirSync(dir)];
  const isPortFolder = prefix === "" ||
    entries.some((e) => e.name.endsWith(".py"));
  for (const entry of entries) {
    if (entry.isDirectory) {
      const below = findPorts(
        new URL(`${entry.name}/`, dir),
        `${prefix}${entry.name}/`,
      );
      found.ts.push(...below.ts);
      found.expected.push(...below.expected);
      found.py.push(...below.py);
    } else if (isPortFolder && !entry.name.startsWith("_")) {
      const name = prefix + entry.name;
      if (name.endsWith(".expected.txt")) {
        found.expected.push(name.slice(0, -".expected.txt".length));
      } else if (name.endsWith(".py")) found.py.push(name.slice(0, -3));
      else if (name.endsWith(".ts")) found.ts.push(name.slice(0, -3));
    }
  }
  for (const list of Object.values(found)) list.sort();
  return found;
}

const found = findPorts();
const examples = found.expected;

/** Examples whose port has the line `// clock: real`. */
const realClock = new Set(
  examples.filter((name) =>
    /^\/\/ clock: real$/m.test(
      Deno.readTextFileSync(new URL(`${name}.ts`, examplesDir)),
    )
  ),
);

/**
 * Examples that are not ports of a runnable Python program, so have no
 * `.py` and `.expected.txt`: `redis_dynamic_tasks` (seed 004 part 2) needs
 * a Redis server and the `redis` Python module, and prints today's times;
 * tests/redis_example_test.ts runs it instead.
 */
const notPorts = new Set(["dynamic-tasks/redis_dynamic_tasks"]);

Deno.test("every example has its Python source and expected output", () => {
  assert.ok(found.ts.length >= 70, `only ${found.ts.length} example ports`);
  for (const name of notPorts) assert.ok(found.ts.includes(name), name);
  for (const name of found.ts) {
    if (notPorts.has(name)) continue;
    assert.ok(examples.includes(name), `${name}.expected.txt is missing`);
    assert.ok(found.py.includes(name), `${name}.py is missing`);
  }
  // and no recorded output without its port
  for (const name of examples) {
    assert.ok(found.ts.includes(name), `${name}.ts is missing`);
  }
});

/** The tutorial folders: those holding ports. */
const tutorialFolders = [
  ...new Set(
    found.ts.filter((name) => name.includes("/")).map((name) =>
      name.slice(0, name.indexOf("/"))
    ),
  ),
];

Deno.test("every tutorial folder has a README naming each of its examples, and the index links it", () => {
  assert.ok(tutorialFolders.length >= 5, tutorialFolders.join(", "));
  const index = Deno.readTextFileSync(new URL("README.md", examplesDir));
  for (const folder of tutorialFolders) {
    assert.ok(
      index.includes(`(${folder}/)`),
      `examples/README.md does not link ${folder}/`,
    );
    const readme = Deno.readTextFileSync(
      new URL(`${folder}/README.md`, examplesDir),
    );
    for (const name of found.ts.filter((n) => n.startsWith(`${folder}/`))) {
      const base = name.slice(folder.length + 1);
      assert.ok(
        readme.includes(`(${base}.ts)`),
        `${folder}/README.md does not link ${base}.ts`,
      );
    }
  }
});

interface Outcome {
  expected: string;
  stdout: string;
  code: number;
  stderr: string;
}

async function runExample(name: string): Promise<Outcome> {
  const expected = await Deno.readTextFile(
    new URL(`${name}.expected.txt`, examplesDir),
  );
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-env",
      "--allow-read",
      // The streams examples serve and connect on 127.0.0.1, and the TLS
      // one makes its certificate with openssl in a temporary directory.
      "--allow-net",
      "--allow-run=openssl",
      `--allow-write=${Deno.env.get("TMPDIR") ?? "/tmp"}`,
      `${name}.ts`,
    ],
    cwd: examplesDir,
    env: {
      // "0" turns the virtual clock off even if this process's env sets it.
      ASYNCIO_VIRTUAL_TIME: realClock.has(name) ? "0" : "1",
      NO_COLOR: "1",
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    expected,
    stdout: decoder.decode(stdout),
    code,
    stderr: decoder.decode(stderr),
  };
}

function check(name: string, outcome: Outcome, slack = 0): void {
  assert.equal(
    outcome.code,
    0,
    `${name}: exit code ${outcome.code}; stderr:\n${outcome.stderr}`,
  );
  if (!realClock.has(name)) {
    assert.deepEqual(normalize(outcome.stdout), normalize(outcome.expected));
    return;
  }
  const expected = normalize(ctimesToElapsed(outcome.expected));
  assert.deepEqual(
    matchTimes(normalize(ctimesToElapsed(outcome.stdout)), expected, slack),
    expected,
    `late by up to ${DECIMAL_TOLERANCE.late + slack} s allowed`,
  );
}

for (const name of examples) {
  if (realClock.has(name)) continue;
  Deno.test(`example ${name} prints what CPython prints`, async () => {
    check(name, await runExample(name));
  });
}

// The real-clock examples (Workers) sleep for seconds, each compared in its
// own step.
/**
 * How late a loaded machine makes the Worker examples, in seconds: three
 * times what starting a Worker and hearing from it takes now (a few
 * hundredths of a second on an idle machine, a second under heavy load),
 * at most 3.
 */
async function workerSlack(): Promise<number> {
  const start = performance.now();
  const worker = new Worker(
    `data:text/javascript,${encodeURIComponent("postMessage(1); close();")}`,
    { type: "module" },
  );
  await new Promise((resolve) => worker.onmessage = resolve);
  worker.terminate();
  return Math.min(3, 3 * (performance.now() - start) / 1000);
}

Deno.test("real-clock examples print what CPython prints", async (t) => {
  // One at a time: run together they slow each other down.
  for (const name of realClock) {
    const slack = await workerSlack();
    const outcome = await runExample(name);
    await t.step(`example ${name}`, () => check(name, outcome, slack));
  }
});

// ------------------------------------------------------ deno task example

Deno.test("deno task example finds every port by its name and by its old sNNN_ name", () => {
  const cat = catalogue();
  assert.deepEqual(
    [...cat.groups.values()].flat().sort(),
    found.ts,
    "the runner and this test see the same examples",
  );
  assert.deepEqual(
    [...cat.groups.keys()],
    ["", ...TUTORIALS.map((t) => t.folder)],
    "the tutorial folders, in seed order",
  );
  const bases = found.ts.map((name) => name.slice(name.lastIndexOf("/") + 1));
  for (const name of found.ts) {
    const base = name.slice(name.lastIndexOf("/") + 1);
    assert.deepEqual(resolve(name, cat), { key: name });
    assert.deepEqual(resolve(`examples/${name}.ts`, cat), { key: name });
    // MM_name: unique in most cases (06_done_callback is in two folders)
    const found1 = resolve(base, cat);
    if (bases.filter((b) => b === base).length === 1) {
      assert.deepEqual(found1, { key: name });
    } else {
      assert.ok("candidates" in found1 && found1.candidates.includes(name));
    }
    // the names from before the tutorial folders: s002_15_call_order_blocked
    const folder = TUTORIALS.findIndex((t) => name.startsWith(`${t.folder}/`));
    if (folder >= 0) {
      const old = `s${String(folder).padStart(3, "0")}_${base}`;
      assert.deepEqual(resolve(old, cat), { key: name }, old);
    }
  }
  assert.deepEqual(resolve("s002_15_call_order_blocked", cat), {
    key: "event-loop-in-depth/15_call_order_blocked",
  });
  assert.deepEqual(resolve("s002_15", cat), {
    key: "event-loop-in-depth/15_call_order_blocked",
  });
  assert.deepEqual(resolve("call_order", cat), {
    key: "event-loop-in-depth/15_call_order_blocked",
  });
  assert.deepEqual(resolve("redis_dynamic_tasks", cat), {
    key: "dynamic-tasks/redis_dynamic_tasks",
  });
  assert.deepEqual(resolve("crawler", cat), { key: "crawler/crawler" });
  assert.deepEqual(resolve("chat/server", cat), { key: "chat/server" });
  assert.deepEqual(resolve("gather", cat), {
    candidates: [
      "event-loop-in-depth/25_gather",
      "async-await-by-example/02_gather",
    ],
  });
  assert.deepEqual(resolve("no_such_example", cat), { candidates: [] });
});

Deno.test("every `deno task example NAME` in the READMEs names one example", () => {
  const cat = catalogue();
  const readmes = [
    new URL("../README.md", examplesDir),
    new URL("README.md", examplesDir),
    ...tutorialFolders.map((f) => new URL(`${f}/README.md`, examplesDir)),
  ];
  let seen = 0;
  for (const readme of readmes) {
    const text = Deno.readTextFileSync(readme);
    for (const [, name] of text.matchAll(/deno task example ([\w./-]+)/g)) {
      if (name === "NAME") continue;
      seen++;
      assert.ok("key" in resolve(name, cat), `${readme.pathname}: ${name}`);
    }
  }
  assert.ok(seen >= 10, `only ${seen} commands found`);
});

/** Runs `deno run examples/_run.ts ...args` on the virtual clock. */
async function runner(...args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-env",
      "--allow-read",
      "--allow-run",
      "--allow-net",
      `--allow-write=${Deno.env.get("TMPDIR") ?? "/tmp"}`,
      "--allow-sys",
      new URL("_run.ts", examplesDir).href,
      ...args,
    ],
    env: { ASYNCIO_VIRTUAL_TIME: "1", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code,
    stdout: decoder.decode(stdout),
    stderr: decoder.decode(stderr),
  };
}

Deno.test("deno task example with no name runs hello, then lists the examples by folder", async () => {
  const { code, stdout, stderr } = await runner();
  assert.equal(code, 0, stderr);
  const hello = Deno.readTextFileSync(
    new URL("hello.expected.txt", examplesDir),
  );
  assert.ok(
    stdout.startsWith(
      `Running hello (deno task example NAME runs another):\n\n${hello}\n`,
    ),
    stdout,
  );
  for (const { folder } of TUTORIALS) {
    assert.match(stdout, new RegExp(`^${folder}/ \\(\\d+\\)`, "m"));
  }
  assert.match(stdout, /^ {2}15_call_order_blocked$/m);
  assert.match(stdout, /^ {2}crawler$/m);
});

Deno.test("deno task example NAME runs the port in a process of its own, so that its main-module code runs", async () => {
  // s000_04_long_operation runs only `if (import.meta.main)`.
  const { code, stdout, stderr } = await runner("s000_04_long_operation");
  assert.equal(code, 0, stderr);
  assert.equal(
    stdout,
    Deno.readTextFileSync(
      new URL("first-steps/04_long_operation.expected.txt", examplesDir),
    ),
  );
  const wrong = await runner("gather");
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /"gather" matches several examples/);
});
