/**
 * Objects per spawned task: how many heap objects (and bytes) a task that
 * is suspended costs, counted in V8 heap snapshots taken before the tasks
 * are made and while they all wait, grouped by the snapshot's node type
 * and name (the constructor or function name). Besides the table it
 * prints here, `bench.ts` runs it as its `objects_per_task` workload.
 *
 * ```sh
 * deno run -A bench/core/bench_objects.ts                 # N = 10,000
 * deno run -A bench/core/bench_objects.ts --n 2000 --only task_sleep0
 * deno run -A bench/core/bench_objects.ts --json
 * ```
 *
 * Cases (each measured the same way):
 * - `task_sleep0`: inside `run(main)`, `createTask(work)` N times with
 *   `async function work() { await sleep(0); }`, then `await sleep(0)`
 *   once, so that every task is suspended at its `sleep(0)`.
 * - `task_event`: the same with `await event.wait()` on one `Event`.
 * - `bare_async` (baseline): N plain async functions, each awaiting one
 *   shared pending promise, no loop.
 * - `pending_promises` (the method's own check): N `new Promise(never)`;
 *   a promise is one object, so anything above 1 per item is the method.
 *
 * Method: each case first runs once without snapshots (up to 1,000
 * items: the first run of code allocates its feedback and the like once).
 * Then the list that holds the N items is made; a heap snapshot
 * is written (`node:v8` `writeHeapSnapshot`, which collects garbage
 * first), the items are made, another snapshot is written, and only then
 * are both files parsed (so the first one's summary is not on the heap
 * in the second) and deleted. Nodes are counted by `type:name`, and their
 * `self_size` summed (small integers, which the snapshot shows as nodes of
 * size 0, are not objects and are left out); the difference over N is the
 * figure. Rows that
 * change by at least `--threshold` (0.5) objects per item are listed.
 *
 * @module
 */
import v8 from "node:v8";
import {
  createTask,
  Event,
  RealClock,
  run,
  type RunOptions,
  sleep,
  type Task,
} from "../../mod.ts";
import type { Sample } from "./_workloads.ts";
import { slots } from "./_workloads.ts";
import { scanArgs } from "../_shared/args.ts";
import { machineLine } from "../_shared/machine.ts";

/** The cases, in the order they are printed. */
export const CASES = [
  "task_sleep0",
  "task_event",
  "bare_async",
  "pending_promises",
] as const;
/** One case. */
export type ObjectsCase = typeof CASES[number];

/** What each case is, for the tables. */
export const CASE_NAMES: Record<ObjectsCase, string> = {
  task_sleep0: "createTask(work) x N, each suspended at await sleep(0)",
  task_event: "createTask(waiter) x N, each suspended at await event.wait()",
  bare_async: "async fns x N, each awaiting one pending promise (baseline)",
  pending_promises: "new Promise(never) x N (the method's check)",
};

/** The goal: objects per task suspended at `sleep(0)`. */
export const OBJECTS_GOAL = 15;

/** One `type:name` group's growth, over all N items. */
export interface ObjectsRow {
  /** `type:name` of the heap snapshot's nodes. */
  key: string;
  /** How many more nodes. */
  objects: number;
  /** How many more bytes (sum of `self_size`). */
  bytes: number;
}

/** One round of a case. */
export interface ObjectsSample extends Sample {
  /** More nodes in the second snapshot, in all. */
  objects: number;
  /** More bytes (`self_size`) in the second snapshot, in all. */
  bytes: number;
  /** The groups that grew or shrank by at least the threshold per item. */
  rows: ObjectsRow[];
}

const REAL: RunOptions = { clock: new RealClock() };

type Counts = Map<string, [number, number]>;

/** Counts a snapshot file's nodes by `type:name` (count, self_size). */
function countNodes(path: string): Counts {
  const snapshot = JSON.parse(Deno.readTextFileSync(path));
  const fields: string[] = snapshot.snapshot.meta.node_fields;
  const types: string[] = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const sizeAt = fields.indexOf("self_size");
  const nodes: number[] = snapshot.nodes;
  const strings: string[] = snapshot.strings;
  // Many nodes share a name: build each key once per (type, name) pair.
  const keys = new Map<number, string>();
  const counts: Counts = new Map();
  const number = types.indexOf("number");
  for (let i = 0; i < nodes.length; i += width) {
    const type = nodes[i + typeAt];
    // Small integers are values in a field, not objects: the snapshot
    // shows them as nodes of size 0.
    if (type === number && nodes[i + sizeAt] === 0) continue;
    const name = nodes[i + nameAt];
    const id = name * 64 + type;
    let key = keys.get(id);
    if (key === undefined) {
      const text = strings[name].replace(/\s+/g, " ").slice(0, 60);
      key = `${types[type]}:${text}`;
      keys.set(id, key);
    }
    const entry = counts.get(key);
    if (entry === undefined) counts.set(key, [1, nodes[i + sizeAt]]);
    else {
      entry[0]++;
      entry[1] += nodes[i + sizeAt];
    }
  }
  return counts;
}

/**
 * Two heap snapshots in a temporary directory (deleted on dispose): one
 * when made, one at `after()`; `diff()` parses both.
 */
class HeapDiff {
  static #warm = false;
  readonly #dir: string;
  readonly #before: string;
  #after: string | null = null;

  constructor() {
    this.#dir = Deno.makeTempDirSync({ prefix: "objects_per_task_" });
    try {
      if (!HeapDiff.#warm) {
        // The first snapshot of a process compiles the code that writes
        // one, some of it after the heap is captured: throw it away.
        v8.writeHeapSnapshot(`${this.#dir}/warm-up.heapsnapshot`);
        Deno.removeSync(`${this.#dir}/warm-up.heapsnapshot`);
        HeapDiff.#warm = true;
      }
      this.#before = v8.writeHeapSnapshot(`${this.#dir}/before.heapsnapshot`);
    } catch (error) {
      Deno.removeSync(this.#dir, { recursive: true });
      throw error;
    }
  }

  after(): void {
    this.#after = v8.writeHeapSnapshot(`${this.#dir}/after.heapsnapshot`);
  }

  /** The growth, and the groups that changed by >= threshold * n. */
  diff(n: number, threshold: number): Omit<ObjectsSample, keyof Sample> {
    if (this.#after === null) throw new Error("after() was not called");
    const before = countNodes(this.#before);
    const after = countNodes(this.#after);
    let objects = 0;
    let bytes = 0;
    const rows: ObjectsRow[] = [];
    for (const key of new Set([...before.keys(), ...after.keys()])) {
      const [c0, s0] = before.get(key) ?? [0, 0];
      const [c1, s1] = after.get(key) ?? [0, 0];
      objects += c1 - c0;
      bytes += s1 - s0;
      if (Math.abs(c1 - c0) >= threshold * n) {
        rows.push({ key, objects: c1 - c0, bytes: s1 - s0 });
      }
    }
    rows.sort((a, b) => b.bytes - a.bytes || b.objects - a.objects);
    return { objects, bytes, rows };
  }

  [Symbol.dispose](): void {
    Deno.removeSync(this.#dir, { recursive: true });
  }
}

function check(started: number, n: number): void {
  if (started !== n) throw new Error(`only ${started} of ${n} items wait`);
}

/**
 * Counts the objects of `n` items of one case: `threshold` (objects per
 * item) decides which groups are listed. With `snapshots` false it only
 * runs the case (a warm-up: the first run of the code allocates its
 * feedback and the like once), and the counts are NaN.
 */
export function objectsPerTask(
  which: ObjectsCase,
  n: number,
  threshold = 0.5,
  snapshots = true,
): Promise<ObjectsSample> {
  let started = 0;
  const start = () => snapshots ? new HeapDiff() : null;
  const measured = (snap: HeapDiff | null, t0: number): ObjectsSample => {
    const wallMs = performance.now() - t0;
    check(started, n);
    if (snap === null) {
      return { wallMs, cpuMs: NaN, objects: NaN, bytes: NaN, rows: [] };
    }
    snap.after();
    return { wallMs, cpuMs: NaN, ...snap.diff(n, threshold) };
  };
  switch (which) {
    case "task_sleep0":
    case "task_event":
      return run(async () => {
        const event = new Event();
        const work = async (): Promise<void> => {
          started++;
          await sleep(0);
        };
        const waiter = async (): Promise<void> => {
          started++;
          await event.wait();
        };
        const fn = which === "task_event" ? waiter : work;
        const tasks = slots<Task<void>>(n);
        using snap = start();
        const t0 = performance.now();
        for (let i = 0; i < n; i++) tasks[i] = createTask(fn);
        await sleep(0); // every task runs up to its first await
        const sample = measured(snap, t0);
        event.set();
        for (const task of tasks) await task;
        return sample;
      }, REAL);
    case "bare_async":
      return (async () => {
        const { promise, resolve } = Promise.withResolvers<void>();
        const waiter = async (): Promise<void> => {
          started++;
          await promise;
        };
        const waiting = slots<Promise<void>>(n);
        using snap = start();
        const t0 = performance.now();
        for (let i = 0; i < n; i++) waiting[i] = waiter();
        const sample = measured(snap, t0);
        resolve();
        for (const p of waiting) await p;
        return sample;
      })();
    case "pending_promises": {
      const pending = slots<Promise<void>>(n);
      using snap = start();
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        pending[i] = new Promise<void>(never);
        started++;
      }
      return Promise.resolve(measured(snap, t0));
    }
  }
}

function never(): void {}

/**
 * One case as the tables report it: a warm-up run of up to 1,000 items
 * without snapshots, then {@link objectsPerTask} of `n` items.
 */
export async function countObjects(
  which: ObjectsCase,
  n: number,
  threshold = 0.5,
): Promise<ObjectsSample> {
  await objectsPerTask(which, Math.min(n, 1000), threshold, false);
  return await objectsPerTask(which, n, threshold);
}

// ---------------------------------------------------------------- script

interface Options {
  n: number;
  only: ObjectsCase[];
  threshold: number;
  json: boolean;
}

function usage(): never {
  console.error(
    "usage: deno run -A bench/core/bench_objects.ts [--n N] " +
      `[--only ${CASES.join(",")}] [--threshold OBJECTS] [--json]`,
  );
  Deno.exit(64);
}

function parseArgs(args: string[]): Options {
  const o: Options = {
    n: 10_000,
    only: [...CASES],
    threshold: 0.5,
    json: false,
  };
  for (const arg of scanArgs(args, usage)) {
    if (arg.name === "--n") o.n = arg.integer(1);
    else if (arg.name === "--only") o.only = arg.list(CASES);
    else if (arg.name === "--threshold") o.threshold = arg.number(0);
    else if (arg.name === "--json") o.json = true;
    else usage();
  }
  return o;
}

function fmt(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(2);
}

async function main(): Promise<void> {
  const o = parseArgs(Deno.args);
  const results: Partial<Record<ObjectsCase, ObjectsSample>> = {};
  for (const which of o.only) {
    const t0 = performance.now();
    results[which] = await countObjects(which, o.n, o.threshold);
    console.error(
      `[objects] ${which}: ${fmt(results[which].objects / o.n)} objects/item ` +
        `(${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
  }
  if (o.json) {
    console.log(JSON.stringify({ n: o.n, results }, null, 2));
    return;
  }
  console.log(`Objects per item, N = ${o.n}, ${new Date().toISOString()}`);
  console.log(machineLine(undefined));
  for (const [which, s] of Object.entries(results)) {
    console.log(`\n${which}: ${CASE_NAMES[which as ObjectsCase]}`);
    console.log(
      `${"objects".padStart(8)}  ${"bytes".padStart(8)}  type:name ` +
        `(per item; groups changing by >= ${o.threshold} objects per item)`,
    );
    for (const r of s.rows) {
      console.log(
        `${fmt(r.objects / o.n).padStart(8)}  ${
          fmt(r.bytes / o.n).padStart(8)
        }  ${r.key}`,
      );
    }
    console.log(
      `${fmt(s.objects / o.n).padStart(8)}  ${
        fmt(s.bytes / o.n).padStart(8)
      }  total (all groups)`,
    );
  }
  const spawned = results.task_sleep0;
  if (spawned !== undefined) {
    const per = spawned.objects / o.n;
    console.log(
      `\ngoal: objects per spawned task at most ${OBJECTS_GOAL}: ` +
        `${fmt(per)} ${per <= OBJECTS_GOAL ? "PASS" : "MISS"}`,
    );
  }
}

if (import.meta.main) await main();
