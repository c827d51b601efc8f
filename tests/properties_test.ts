// Property-based tests (fast-check) of Lock, Semaphore, BoundedSemaphore,
// Condition and a bounded Queue. Each run plays a random schedule of 2-6
// tasks on a fresh loop on the virtual clock: tasks start at random times
// and acquire / hold / release, put / get, produce / consume, sleep, give
// up after a limit (through `waitFor` or `timeout()`) and cancel each other
// at random points, so that cancellation hits waiters before they are
// woken, right after (in the same iteration), and while they hold. What
// the run saw is then checked against a model of what asyncio guarantees
// (tests/_model.ts): exclusion, liveness, FIFO, no waiter idle while what
// it waits for is there, nothing lost or duplicated. A failing run prints
// the shrunk schedule and the trace of that run. The model was checked
// against CPython where it was not obvious.
//
// One thing is Python's and not a bug: `waitFor(aw, t)` is Python 3.12's
// `async with timeout(t): return await aw`, so when the awaited task
// completes in the iteration in which the limit passes (or the caller is
// cancelled), its result is lost and TimeoutError (CancelledError) is
// raised. The schedules pass `waitFor` a task of their own and, like a
// careful caller, release what such a task acquired. With no time left
// (`t <= 0`), CPython cancels the task before it runs: the last property
// checks that.
//
// ASYNCIO_PROPERTY_STATS=1 prints how often each situation came up.
// A test-only dependency, pinned here rather than in deno.json.
// deno-lint-ignore no-import-prefix
import fc from "npm:fast-check@4.10.2";
import {
  type AbstractEventLoop,
  BoundedSemaphore,
  CancelledError,
  Condition,
  Coroutine,
  createTask,
  currentTask,
  Lock,
  newEventLoop,
  Queue,
  type Releaser,
  Semaphore,
  sleep,
  type Task,
  timeout,
  TimeoutError,
  wait,
  waitFor,
} from "../mod.ts";
import {
  checkFifo,
  checkWorkConserving,
  type Snapshot,
  type WaitRecord,
} from "./_model.ts";

// 2000 runs per property (ASYNCIO_PROPERTY_RUNS=N for more): about 0.2 s
// each; 1000 runs let the rarer mutants of the library (a lost pass-on of
// a notification or of a put slot) slip through now and then.
const NUM_RUNS = Math.max(
  2000,
  Number(Deno.env.get("ASYNCIO_PROPERTY_RUNS") ?? 0) || 0,
);

// ---------------------------------------------------------------------------
// Schedules

type How = "plain" | "waitFor" | "timeout";
type Sleep = { op: "sleep"; ms: number };
/**
 * Whom a step cancels: another task, "head" (the task at the head of the
 * waiters the step just woke, or would wake), or nobody.
 */
type Target = number | "head" | null;
type Cancel = { op: "cancel"; target: number };

/** A task of a schedule: when it starts (ms) and what it does. */
interface TaskSpec<Op> {
  start: number;
  ops: Op[];
}

/** Lock / Semaphore: take a permit (maybe with a limit), hold it, give it back. */
type Section = {
  op: "section";
  how: How;
  limit: number;
  hold: number;
  cancelWhileHolding: Target;
  cancelAfterRelease: Target;
  viaReleaser: boolean;
};
type PermitOp = Section | Sleep | Cancel;

/** Condition: add `m` to the counter and notify; or wait until it is > 0 and take 1. */
type Produce = {
  op: "produce";
  m: number;
  notify: "m" | "all";
  holdBefore: number | null;
  holdAfter: number | null;
  cancel: Target;
};
type Consume = { op: "consume"; how: How; limit: number };
type CondOp = Produce | Consume | Sleep | Cancel;

/** Queue: put a new item or get one (maybe with a limit). */
type QueueOp =
  | { op: "put" | "get"; how: How; limit: number; cancelAfter: Target }
  | Sleep
  | Cancel;

const ms = (max: number) => fc.integer({ min: 0, max });
const how = fc.constantFrom<How>("plain", "waitFor", "timeout");
// Cancel targets are drawn as raw numbers and resolved to another task of
// the schedule (never the task itself) once the number of tasks is known.
const rawTarget = fc.nat({ max: 5 });
const maybeTarget: fc.Arbitrary<number | "head" | null> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: rawTarget },
  { weight: 1, arbitrary: fc.constant("head" as const) },
);
const sleepOp = fc.record({ op: fc.constant("sleep" as const), ms: ms(8) });
const cancelOp = fc.record({
  op: fc.constant("cancel" as const),
  target: rawTarget,
});

const sectionOp = fc.record({
  op: fc.constant("section" as const),
  how,
  limit: ms(12),
  hold: ms(6),
  cancelWhileHolding: maybeTarget,
  cancelAfterRelease: maybeTarget,
  viaReleaser: fc.boolean(),
});
const permitOp: fc.Arbitrary<PermitOp> = fc.oneof(
  { weight: 6, arbitrary: sectionOp },
  { weight: 2, arbitrary: sleepOp },
  { weight: 1, arbitrary: cancelOp },
);

const produceOp = fc.record({
  op: fc.constant("produce" as const),
  m: fc.integer({ min: 1, max: 3 }),
  notify: fc.constantFrom<"m" | "all">("m", "m", "all"),
  holdBefore: fc.option(ms(3), { nil: null }),
  holdAfter: fc.option(ms(3), { nil: null }),
  cancel: maybeTarget,
});
const consumeOp = fc.record({
  op: fc.constant("consume" as const),
  how,
  limit: ms(12),
});
const condOp: fc.Arbitrary<CondOp> = fc.oneof(
  { weight: 3, arbitrary: produceOp },
  { weight: 4, arbitrary: consumeOp },
  { weight: 2, arbitrary: sleepOp },
  { weight: 1, arbitrary: cancelOp },
);

const queueOp: fc.Arbitrary<QueueOp> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      op: fc.constantFrom<"put" | "get">("put", "get"),
      how,
      limit: ms(12),
      cancelAfter: maybeTarget,
    }),
  },
  { weight: 2, arbitrary: sleepOp },
  { weight: 1, arbitrary: cancelOp },
);

/** Resolves a raw cancel target of task `self` among `n` tasks. */
function resolveTarget(raw: number, self: number, n: number): number {
  const t = raw % n;
  return t === self ? (t + 1) % n : t;
}

function withTargets<Op>(
  tasks: TaskSpec<Op>[],
  fix: (op: Op, t: <R extends Target>(raw: R) => R) => Op,
): TaskSpec<Op>[] {
  const n = tasks.length;
  return tasks.map((spec, self) => ({
    start: spec.start,
    ops: spec.ops.map((op) =>
      fix(
        op,
        (raw) =>
          typeof raw === "number"
            ? resolveTarget(raw, self, n) as typeof raw
            : raw,
      )
    ),
  }));
}

function tasksOf<Op>(op: fc.Arbitrary<Op>): fc.Arbitrary<TaskSpec<Op>[]> {
  return fc.array(
    fc.record({
      start: ms(8),
      ops: fc.array(op, { minLength: 1, maxLength: 8 }),
    }),
    { minLength: 2, maxLength: 6 },
  );
}

/** Makes fast-check print a schedule as `describe` writes it. */
function printable<S extends object>(
  arb: fc.Arbitrary<S>,
  describe: (s: S) => string,
): fc.Arbitrary<S> {
  return arb.map((s) =>
    Object.assign(s, { [fc.toStringMethod]: () => `\n${describe(s)}\n` })
  );
}

interface PermitSchedule {
  kind: "Lock" | "Semaphore" | "BoundedSemaphore";
  k: number;
  tasks: TaskSpec<PermitOp>[];
}

function permitSchedule(
  kind: PermitSchedule["kind"],
): fc.Arbitrary<PermitSchedule> {
  const k = kind === "Lock" ? fc.constant(1) : fc.integer({ min: 1, max: 3 });
  return printable(
    fc.record({ k, tasks: tasksOf(permitOp) }).map(({ k, tasks }) => ({
      kind,
      k,
      tasks: withTargets(tasks, (op, t) => {
        if (op.op === "cancel") return { ...op, target: t(op.target) };
        if (op.op === "section") {
          return {
            ...op,
            cancelWhileHolding: t(op.cancelWhileHolding),
            cancelAfterRelease: t(op.cancelAfterRelease),
          };
        }
        return op;
      }),
    })),
    describePermits,
  );
}

interface CondSchedule {
  tasks: TaskSpec<CondOp>[];
}

const condSchedule: fc.Arbitrary<CondSchedule> = printable(
  tasksOf(condOp).map((tasks) => ({
    tasks: withTargets(tasks, (op, t) => {
      if (op.op === "cancel") return { ...op, target: t(op.target) };
      if (op.op === "produce") return { ...op, cancel: t(op.cancel) };
      return op;
    }),
  })),
  describeCond,
);

interface QueueSchedule {
  maxsize: number;
  tasks: TaskSpec<QueueOp>[];
}

const queueSchedule: fc.Arbitrary<QueueSchedule> = printable(
  fc.record({
    maxsize: fc.integer({ min: 1, max: 3 }),
    tasks: tasksOf(queueOp),
  })
    .map(({ maxsize, tasks }) => ({
      maxsize,
      tasks: withTargets(tasks, (op, t) => {
        if (op.op === "cancel") return { ...op, target: t(op.target) };
        if (op.op === "put" || op.op === "get") {
          return { ...op, cancelAfter: t(op.cancelAfter) };
        }
        return op;
      }),
    })),
  describeQueue,
);

// ---------------------------------------------------------------------------
// Readable schedules

function describeHow(how: How, limit: number): string {
  return how === "plain" ? "" : ` (${how} ${limit}ms)`;
}

function whom(target: number | "head"): string {
  return target === "head" ? "the head waiter" : `T${target}`;
}

function describeCommon(op: Sleep | Cancel): string {
  return op.op === "sleep" ? `sleep ${op.ms}ms` : `cancel T${op.target}`;
}

function describeTasks<Op>(
  tasks: TaskSpec<Op>[],
  describeOp: (op: Op) => string,
): string {
  return tasks.map((spec, i) =>
    `  T${i} at ${spec.start}ms: ${spec.ops.map(describeOp).join("; ")}`
  ).join("\n");
}

function describePermits(s: PermitSchedule): string {
  const head = s.kind === "Lock" ? "Lock()" : `${s.kind}(${s.k})`;
  return `${head}\n${
    describeTasks(s.tasks, (op) => {
      if (op.op !== "section") return describeCommon(op);
      let text = `acquire${describeHow(op.how, op.limit)}`;
      if (op.cancelWhileHolding !== null) {
        text += `, cancel ${whom(op.cancelWhileHolding)}`;
      }
      text += `, hold ${op.hold}ms, release${op.viaReleaser ? "r" : "()"}`;
      if (op.cancelAfterRelease !== null) {
        text += `, cancel ${whom(op.cancelAfterRelease)}`;
      }
      return text;
    })
  }`;
}

function describeCond(s: CondSchedule): string {
  return `Condition()\n${
    describeTasks(s.tasks, (op) => {
      if (op.op === "produce") {
        const parts = ["acquire"];
        if (op.holdBefore !== null) parts.push(`hold ${op.holdBefore}ms`);
        parts.push(
          `count += ${op.m}`,
          op.notify === "all" ? "notifyAll()" : `notify(${op.m})`,
        );
        if (op.cancel !== null) parts.push(`cancel ${whom(op.cancel)}`);
        if (op.holdAfter !== null) parts.push(`hold ${op.holdAfter}ms`);
        parts.push("release");
        return `produce[${parts.join(", ")}]`;
      }
      if (op.op === "consume") {
        return `consume[acquire, waitFor(count > 0)${
          describeHow(op.how, op.limit)
        }, count -= 1, release]`;
      }
      return describeCommon(op);
    })
  }`;
}

function describeQueue(s: QueueSchedule): string {
  return `Queue(maxsize=${s.maxsize})\n${
    describeTasks(s.tasks, (op) => {
      if (op.op === "sleep" || op.op === "cancel") return describeCommon(op);
      return `${op.op}${describeHow(op.how, op.limit)}${
        op.cancelAfter !== null ? `, cancel ${whom(op.cancelAfter)}` : ""
      }`;
    })
  }`;
}

/** A time by which every bounded activity of the schedule is over. */
function horizonOf<Op>(
  tasks: TaskSpec<Op>[],
  durations: (op: Op) => number,
): number {
  let total = 0;
  for (const spec of tasks) {
    total += spec.start;
    for (const op of spec.ops) total += durations(op);
  }
  return (total + 1000) / 1000;
}

// ---------------------------------------------------------------------------
// Running a schedule

/** What one run saw: a trace, the rules it broke, the tasks. */
class Run {
  readonly lines: string[] = [];
  readonly problems: string[] = [];
  /** Logical task of each task (a waitFor's inner task counts as its caller). */
  readonly ids = new Map<Task<unknown>, number>();
  readonly snapshots: Snapshot[] = [];
  readonly records: WaitRecord[] = [];
  tasks: Task<unknown>[] = [];
  /** How often things happened, for the statistics. */
  readonly stats = new Map<string, number>();
  /** The inner task of each logical task's waitFor, while it runs. */
  readonly inner = new Map<number, Task<unknown>>();
  #seq = 0;
  #ids = 0;

  constructor(readonly loop: AbstractEventLoop) {}

  now(): string {
    return `${Math.round(this.loop.time() * 1e6) / 1e3}ms`;
  }

  log(who: number, what: string): void {
    this.lines.push(`${this.now()} T${who}: ${what}`);
  }

  fail(what: string): void {
    this.problems.push(`${this.now()} ${what}`);
    this.lines.push(`${this.now()} !! ${what}`);
  }

  /** The logical task running now (-1: the main task). */
  me(): number {
    const task = currentTask();
    return task === null ? -1 : this.ids.get(task) ?? -1;
  }

  /**
   * Task `self` cancels `target`; "head" is the task that has waited
   * longest in one of the calls `heads`.
   */
  cancel(self: number, target: number | "head", heads: string[] = []): void {
    if (target === "head") {
      let head: WaitRecord | null = null;
      for (const r of this.records) {
        if (
          r.end === null && r.who !== self && heads.includes(r.what) &&
          (head === null || r.start < head.start)
        ) head = r;
      }
      if (head === null) {
        this.log(self, `cancel the head waiter: no ${heads.join("/")} waits`);
        return;
      }
      target = head.who;
    }
    const task = this.tasks[target];
    let what = "done";
    if (!task.done()) {
      // For the statistics: where the cancellation hits the target.
      const waiting = this.records.some((r) =>
        r.who === target && r.end === null
      );
      what = waiting ? "waiting" : "not waiting";
    }
    this.count(`cancel: ${what}`);
    task.cancel();
    this.log(self, `cancel T${target} (${what})`);
  }

  count(what: string): void {
    this.stats.set(what, (this.stats.get(what) ?? 0) + 1);
  }

  /** Starts waiting for something; returns the record to settle. */
  startWait(who: number, what: string): WaitRecord {
    const rec: WaitRecord = {
      who,
      what,
      id: ++this.#ids,
      start: ++this.#seq,
      end: null,
      ok: false,
    };
    this.records.push(rec);
    return rec;
  }

  endWait(rec: WaitRecord, ok: boolean): void {
    rec.end = ++this.#seq;
    rec.ok = ok;
  }

  pendingWaits(what: string): number {
    let n = 0;
    for (const r of this.records) if (r.end === null && r.what === what) n++;
    return n;
  }

  snapshot(idle: string | null): void {
    this.snapshots.push({
      time: this.loop.time(),
      idle,
      at: this.lines.length,
    });
  }

  /**
   * Runs `attempt` in task `who`: plainly, under `timeout(limit)`, or
   * through `waitFor(task, limit)`. Resolves to null when the limit passed.
   * `onLost` gets what a waitFor'd attempt returned when the caller still
   * got TimeoutError or CancelledError (Python 3.12's wait_for race).
   */
  async via<T>(
    who: number,
    how: How,
    limitMs: number,
    attempt: () => Promise<T>,
    onLost: (value: T) => void,
  ): Promise<{ value: T } | null> {
    const limit = limitMs / 1000;
    if (how === "plain") return { value: await attempt() };
    if (how === "timeout") {
      try {
        await using _scope = timeout(limit);
        return { value: await attempt() };
      } catch (e) {
        if (!(e instanceof TimeoutError)) throw e;
        this.count("timed out");
        this.log(who, `timed out (timeout ${limitMs}ms)`);
        return null;
      }
    }
    const inner = createTask(attempt, { name: `T${who}-inner` });
    this.ids.set(inner, who);
    this.inner.set(who, inner);
    try {
      return { value: await waitFor(inner, limit) };
    } catch (e) {
      if (
        inner.done() && !inner.cancelled() &&
        (inner.exception() ?? null) === null
      ) {
        this.count(
          limitMs === 0
            ? "waitFor(task, 0) ran its task and lost its result"
            : "waitFor lost its task's result",
        );
        this.log(who, `waitFor lost the result of its task (${e})`);
        onLost(inner.result());
      }
      if (!(e instanceof TimeoutError)) throw e;
      this.count("timed out");
      this.log(who, `timed out (waitFor ${limitMs}ms)`);
      return null;
    } finally {
      this.inner.delete(who);
    }
  }

  /**
   * At the horizon: lets `explain` judge each task still pending, cancels
   * them and waits for them; then reports tasks that failed.
   */
  async settle(explain: (i: number) => string | null): Promise<void> {
    const pending = this.tasks.filter((t) => !t.done());
    for (const t of pending) {
      const i = this.ids.get(t)!;
      const why = explain(i);
      if (why !== null) this.fail(`T${i} still pending at the horizon: ${why}`);
      t.cancel();
    }
    if (pending.length > 0) {
      const [, late] = await wait(pending, { timeout: 10 });
      for (const t of late) {
        this.fail(`${t.getName()} did not end when cancelled at the horizon`);
      }
    }
    for (const [i, t] of this.tasks.entries()) {
      if (!t.done() || t.cancelled()) continue;
      const error = t.exception() ?? null;
      if (error !== null) this.fail(`T${i} failed: ${error}`);
    }
  }

  /** Throws a readable report if a rule was broken. */
  report(header: string): void {
    if (this.problems.length === 0) return;
    throw new Error(
      `${header}\n${this.problems.join("\n")}\n--- trace ---\n${
        this.lines.join("\n")
      }`,
    );
  }
}

/** Plays `main` on a fresh virtual-time loop, closing it afterwards. */
async function onFreshLoop(main: (run: Run) => Promise<void>): Promise<Run> {
  const loop = newEventLoop({ virtualTime: true });
  const run = new Run(loop);
  try {
    await loop.runUntilComplete(() => main(run));
  } finally {
    loop.close();
  }
  return run;
}

function startTasks<Op>(
  run: Run,
  tasks: TaskSpec<Op>[],
  body: (i: number, op: Op, index: number) => Promise<void>,
): void {
  run.tasks = tasks.map((spec, i) => {
    const task = createTask(async () => {
      if (spec.start > 0) await sleep(spec.start / 1000);
      for (const [index, op] of spec.ops.entries()) await body(i, op, index);
      run.log(i, "done");
    }, { name: `T${i}` });
    run.ids.set(task, i);
    return task;
  });
}

function isCancel(e: unknown): boolean {
  return e instanceof CancelledError;
}

// ---------------------------------------------------------------------------
// Lock, Semaphore, BoundedSemaphore

type Permits = Lock | Semaphore;

async function playPermits(s: PermitSchedule): Promise<Run> {
  const prim: Permits = s.kind === "Lock"
    ? new Lock()
    : s.kind === "Semaphore"
    ? new Semaphore(s.k)
    : new BoundedSemaphore(s.k);
  const horizon = horizonOf(
    s.tasks,
    (op) =>
      op.op === "sleep" ? op.ms : op.op === "section" ? op.hold + op.limit : 0,
  );
  return await onFreshLoop(async (run) => {
    let holders = 0;
    const snapshot = () =>
      run.snapshot(
        holders < s.k && run.pendingWaits("acquire") > 0
          ? `${holders}/${s.k} held while a task waits to acquire`
          : null,
      );
    const attempt = async (who: number): Promise<Releaser> => {
      const rec = run.startWait(who, "acquire");
      run.count(prim.locked() ? "acquire waited" : "acquire at once");
      run.log(who, `acquire (#${rec.id})`);
      let releaser: Releaser;
      try {
        releaser = await prim.acquire();
      } catch (e) {
        run.endWait(rec, false);
        run.count(`acquire ended by ${(e as Error).name}`);
        run.log(who, `acquire #${rec.id} ended by ${e}`);
        snapshot();
        throw e;
      }
      run.endWait(rec, true);
      holders++;
      run.log(who, `acquired #${rec.id}: ${holders} holder(s)`);
      if (holders > s.k) run.fail(`${holders} holders of ${s.kind}(${s.k})`);
      snapshot();
      return releaser;
    };
    const release = (who: number, releaser: Releaser, direct: boolean) => {
      holders--;
      run.log(who, `release${direct ? "()" : "r"}: ${holders} holder(s)`);
      if (direct) prim.release();
      else releaser.release();
      snapshot();
    };

    startTasks(run, s.tasks, async (i, op) => {
      if (op.op === "sleep") return await sleep(op.ms / 1000);
      if (op.op === "cancel") return run.cancel(i, op.target);
      const got = await run.via(
        i,
        op.how,
        op.limit,
        () => attempt(i),
        (releaser) => release(i, releaser, false),
      );
      if (got === null) return;
      try {
        if (op.cancelWhileHolding !== null) {
          run.cancel(i, op.cancelWhileHolding, ["acquire"]);
        }
        await sleep(op.hold / 1000);
      } finally {
        release(i, got.value, !op.viaReleaser);
        if (op.cancelAfterRelease !== null) {
          run.cancel(i, op.cancelAfterRelease, ["acquire"]);
        }
      }
    });
    await sleep(horizon);
    // Every task ends by the horizon: waits are bounded by the holds.
    await run.settle((i) =>
      `${s.kind} ${
        prim.locked() ? "locked" : "free"
      }, ${holders} holder(s), T${i} ${
        run.records.some((r) => r.who === i && r.end === null)
          ? "waiting to acquire"
          : "not waiting"
      }`
    );
    // Nothing held, nobody waiting, every permit back.
    if (holders !== 0) run.fail(`${holders} holder(s) left`);
    const expected = s.kind === "Lock"
      ? "<Lock [unlocked]>"
      : `<${s.kind} [unlocked, value:${s.k}]>`;
    if (String(prim) !== expected) {
      run.fail(`ended as ${prim}, expected ${expected}`);
    }
    const taken: Releaser[] = [];
    for (let n = 0; n < s.k; n++) {
      if (prim.locked()) {
        run.fail(`only ${n} of ${s.k} permits could be taken at the end`);
        break;
      }
      taken.push(await prim.acquire());
    }
    if (taken.length === s.k && !prim.locked()) {
      run.fail(`more than ${s.k} permits at the end`);
    }
    for (const r of taken) r.release();
    if (s.kind === "BoundedSemaphore") {
      try {
        prim.release();
        run.fail("an extra release() of the BoundedSemaphore did not throw");
      } catch (e) {
        if (!(e instanceof RangeError)) run.fail(`extra release threw ${e}`);
      }
    }
    checkFifo(run.records, "acquire", (m) => run.fail(m));
    checkWorkConserving(run.snapshots, (m) => run.fail(m));
  });
}

// ---------------------------------------------------------------------------
// Condition

/**
 * A Lock that knows which (logical) task holds it, records its acquires
 * (for FIFO) and calls `changed` when it is taken or freed.
 */
class TrackedLock extends Lock {
  owner: number | null = null;
  #run: Run;
  #changed: () => void;

  constructor(run: Run, changed: () => void) {
    super();
    this.#run = run;
    this.#changed = changed;
  }

  override acquire(): Coroutine<Releaser> {
    return new Coroutine(() => this.#trackedAcquire());
  }

  async #trackedAcquire(): Promise<Releaser> {
    const me = this.#run.me();
    const rec = this.#run.startWait(me, "acquire");
    let releaser: Releaser;
    try {
      releaser = await super.acquire();
    } catch (e) {
      this.#run.endWait(rec, false);
      this.#changed();
      throw e;
    }
    this.#run.endWait(rec, true);
    if (this.owner !== null) {
      this.#run.fail(`T${me} acquired the lock that T${this.owner} holds`);
    }
    this.owner = me;
    this.#changed();
    return releaser;
  }

  override release(): void {
    const me = this.#run.me();
    if (this.owner !== me) {
      this.#run.fail(`T${me} released the lock that T${this.owner} holds`);
    }
    this.owner = null;
    super.release();
    this.#changed();
  }
}

async function playCondition(s: CondSchedule): Promise<Run> {
  const horizon = horizonOf(s.tasks, (op) => {
    if (op.op === "sleep") return op.ms;
    if (op.op === "consume") return op.limit;
    if (op.op === "produce") return (op.holdBefore ?? 0) + (op.holdAfter ?? 0);
    return 0;
  });
  return await onFreshLoop(async (run) => {
    let count = 0;
    // Idle with work to do: the lock is free while a task waits for it, or
    // while there is something to take and a consumer waits.
    const changed = () =>
      run.snapshot(
        lock.locked()
          ? null
          : run.pendingWaits("acquire") > 0
          ? "the lock is free while a task waits for it"
          : count > 0 && run.pendingWaits("consume") > 0
          ? `the lock is free and count is ${count} while a consumer waits`
          : null,
      );
    const lock = new TrackedLock(run, changed);
    const cond = new Condition(lock);
    let produced = 0;
    let consumed = 0;
    const consuming = new Set<number>();
    const holds = (who: number, where: string) => {
      if (!cond.locked() || lock.owner !== who) {
        run.fail(
          `T${who} ${where} without holding the lock (${
            cond.locked() ? `T${lock.owner} holds it` : "it is free"
          })`,
        );
      }
    };

    startTasks(run, s.tasks, async (i, op) => {
      if (op.op === "sleep") return await sleep(op.ms / 1000);
      if (op.op === "cancel") return run.cancel(i, op.target);
      if (op.op === "produce") {
        const held = await cond.acquire();
        try {
          if (op.holdBefore !== null) await sleep(op.holdBefore / 1000);
          count += op.m;
          produced += op.m;
          run.log(i, `count += ${op.m} -> ${count}`);
          if (op.notify === "all") cond.notifyAll();
          else cond.notify(op.m);
          if (op.cancel !== null) run.cancel(i, op.cancel, ["consume"]);
          if (op.holdAfter !== null) await sleep(op.holdAfter / 1000);
        } finally {
          held.release();
        }
        return;
      }
      consuming.add(i);
      try {
        await cond.acquire();
        try {
          const take = async () => {
            const who = run.me();
            run.count(count > 0 ? "consume at once" : "consume waited");
            run.log(who, `waitFor(count > 0), count ${count}`);
            const rec = run.startWait(who, "consume");
            try {
              await cond.waitFor(() => {
                holds(who, "evaluated the predicate");
                return count > 0;
              });
            } catch (e) {
              run.endWait(rec, false);
              run.log(who, `waitFor ended by ${e}`);
              throw e;
            }
            run.endWait(rec, true);
            holds(who, "returned from waitFor");
            count--;
            consumed++;
            run.count("consumed");
            run.log(who, `took 1 -> ${count}`);
          };
          await run.via(i, op.how, op.limit, take, () => {});
        } catch (e) {
          if (isCancel(e)) run.log(i, "cancelled while consuming");
          throw e;
        } finally {
          holds(i, "left the wait");
          cond.release();
        }
      } finally {
        consuming.delete(i);
      }
    });
    await sleep(horizon);
    // Producers never wait long; a consumer may wait forever, but only
    // while there is nothing to take.
    if (cond.locked()) run.fail(`the lock is held by T${lock.owner}`);
    if (String(lock) !== "<Lock [unlocked]>") {
      run.fail(`the lock ended as ${lock}`);
    }
    await run.settle((i) =>
      !consuming.has(i)
        ? "not in a consume"
        : count > 0
        ? `waits for count > 0 while count is ${count} (lost notification)`
        : null
    );
    if (count < 0) run.fail(`count ended at ${count}`);
    if (produced !== consumed + count) {
      run.fail(`produced ${produced}, consumed ${consumed}, left ${count}`);
    }
    if (cond.locked() || String(cond) !== "<Condition [unlocked]>") {
      run.fail(`the condition ended as ${cond}`);
    }
    checkFifo(run.records, "acquire", (m) => run.fail(m));
    checkWorkConserving(run.snapshots, (m) => run.fail(m));
  });
}

// ---------------------------------------------------------------------------
// Queue

async function playQueue(s: QueueSchedule): Promise<Run> {
  const horizon = horizonOf(
    s.tasks,
    (op) => op.op === "sleep" ? op.ms : op.op === "cancel" ? 0 : op.limit,
  );
  return await onFreshLoop(async (run) => {
    const q = new Queue<number>(s.maxsize);
    const putOrder: number[] = [];
    const gotOrder: number[] = [];
    const phase = new Map<number, "put" | "get">();
    const size = () => putOrder.length - gotOrder.length;
    const observe = () => {
      if (q.qsize() > s.maxsize) run.fail(`qsize() ${q.qsize()} > maxsize`);
      if (q.qsize() !== size()) {
        run.fail(`qsize() is ${q.qsize()}, but ${size()} items are in`);
      }
      const idle = size() > 0 && run.pendingWaits("get") > 0
        ? `${size()} item(s) in the queue while a get waits`
        : size() < s.maxsize && run.pendingWaits("put") > 0
        ? `room in the queue (${size()}/${s.maxsize}) while a put waits`
        : null;
      run.snapshot(idle);
    };
    const put = async (who: number, item: number) => {
      const rec = run.startWait(who, "put");
      run.count(q.full() ? "put waited" : "put at once");
      run.log(who, `put ${item}`);
      try {
        await q.put(item);
      } catch (e) {
        run.endWait(rec, false);
        run.count(`put ended by ${(e as Error).name}`);
        run.log(who, `put ${item} ended by ${e}`);
        observe();
        throw e;
      }
      run.endWait(rec, true);
      putOrder.push(item);
      run.log(who, `put ${item} done: ${q.qsize()} in the queue`);
      observe();
    };
    const get = async (who: number) => {
      const rec = run.startWait(who, "get");
      run.count(q.empty() ? "get waited" : "get at once");
      run.log(who, "get");
      let item: number;
      try {
        item = await q.get();
      } catch (e) {
        run.endWait(rec, false);
        run.count(`get ended by ${(e as Error).name}`);
        run.log(who, `get ended by ${e}`);
        observe();
        throw e;
      }
      run.endWait(rec, true);
      if (gotOrder.includes(item)) run.fail(`item ${item} was got twice`);
      gotOrder.push(item);
      run.count("got");
      run.log(who, `got ${item}: ${q.qsize()} in the queue`);
      observe();
    };

    startTasks(run, s.tasks, async (i, op, index) => {
      if (op.op === "sleep") return await sleep(op.ms / 1000);
      if (op.op === "cancel") return run.cancel(i, op.target);
      phase.set(i, op.op);
      try {
        const attempt = op.op === "put"
          ? () => put(i, i * 100 + index)
          : () => get(i);
        await run.via(i, op.how, op.limit, attempt, () => {});
        if (op.cancelAfter !== null) {
          run.cancel(i, op.cancelAfter, [op.op === "put" ? "get" : "put"]);
        }
      } finally {
        phase.delete(i);
      }
    });
    await sleep(horizon);
    // A get may wait forever on an empty queue, a put on a full one.
    await run.settle((i) =>
      phase.get(i) === "get"
        ? (q.empty() ? null : `a get waits while ${q.qsize()} item(s) are in`)
        : phase.get(i) === "put"
        ? (q.full() ? null : `a put waits while the queue is not full`)
        : "neither putting nor getting"
    );
    const left: number[] = [];
    while (!q.empty()) left.push(q.getNowait());
    const out = [...gotOrder, ...left];
    if (JSON.stringify(out) !== JSON.stringify(putOrder)) {
      run.fail(
        `items put (in order): [${putOrder}]; got: [${gotOrder}], left: [${left}]`,
      );
    }
    if (/_getters|_putters/.test(String(q))) {
      run.fail(`waiters left behind: ${q}`);
    }
    checkWorkConserving(run.snapshots, (m) => run.fail(m));
  });
}

// ---------------------------------------------------------------------------
// waitFor with no time left

/**
 * `waitFor(aw, t)` with `t <= 0` on an awaitable that is not done: CPython
 * (3.11 and 3.12+ alike) cancels it before it runs and raises TimeoutError,
 * so nothing is acquired, taken or put.
 */
interface ZeroCase {
  target: "Lock" | "Semaphore" | "get" | "put";
  /** Whether the call would wait (lock held, queue empty for get / full for put). */
  wouldWait: boolean;
  /** waitFor gets a task or a coroutine function. */
  pass: "task" | "function";
  limit: number;
}

const zeroCase: fc.Arbitrary<ZeroCase> = printable(
  fc.record({
    target: fc.constantFrom<ZeroCase["target"]>(
      "Lock",
      "Semaphore",
      "get",
      "put",
    ),
    wouldWait: fc.boolean(),
    pass: fc.constantFrom<ZeroCase["pass"]>("task", "function"),
    limit: fc.constantFrom(0, -0.001, -1),
  }),
  (c) =>
    `waitFor(${c.pass === "task" ? "createTask(f)" : "f"}, ${c.limit}) where ` +
    `f = ${
      c.target === "get" || c.target === "put"
        ? `q.${c.target}`
        : c.target + ".acquire"
    }, ` +
    `which ${c.wouldWait ? "would wait" : "would complete at once"}`,
);

async function playZero(c: ZeroCase): Promise<Run> {
  return await onFreshLoop(async (run) => {
    let op: () => Promise<unknown>;
    let state: () => string;
    if (c.target === "Lock" || c.target === "Semaphore") {
      const prim = c.target === "Lock" ? new Lock() : new Semaphore(1);
      if (c.wouldWait) await prim.acquire();
      op = () => prim.acquire();
      state = () => String(prim);
    } else {
      const q = new Queue<number>(1);
      if ((c.target === "get") !== c.wouldWait) q.putNowait(1);
      op = c.target === "get" ? () => q.get() : () => q.put(2);
      state = () => String(q);
    }
    const before = state();
    let ran = false;
    const body = async () => {
      ran = true;
      return await op();
    };
    try {
      await waitFor(c.pass === "task" ? createTask(body) : body, c.limit);
      run.fail("waitFor returned instead of raising TimeoutError");
    } catch (e) {
      if (!(e instanceof TimeoutError)) run.fail(`waitFor threw ${e}`);
    }
    if (ran) {
      run.fail(
        "the awaitable ran (CPython cancels it before it starts)" +
          (state() !== before
            ? `, and its effect stayed: ${before} -> ${state()}`
            : ""),
      );
    }
  });
}

// ---------------------------------------------------------------------------
// The properties

// With ASYNCIO_PROPERTY_STATS=1, each property prints how often what it
// is about happened over its runs (to see that the schedules reach it).
const showStats = Deno.env.get("ASYNCIO_PROPERTY_STATS") === "1";

async function property<S>(
  name: string,
  arb: fc.Arbitrary<S>,
  play: (s: S) => Promise<Run>,
): Promise<void> {
  const totals = new Map<string, number>();
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(arb, async (s) => {
      const run = await play(s);
      runs++;
      for (const [k, v] of run.stats) totals.set(k, (totals.get(k) ?? 0) + v);
      run.report(`${name}: the schedule broke a rule`);
    }),
    { numRuns: NUM_RUNS },
  );
  if (showStats) {
    const parts = [...totals].sort().map(([k, v]) => `${k}: ${v}`);
    console.log(`${name}, ${runs} runs: ${parts.join(", ")}`);
  }
}

Deno.test("property: Lock is exclusive, live and FIFO under random cancellation", async () => {
  await property("Lock", permitSchedule("Lock"), playPermits);
});

Deno.test("property: Semaphore(k) has at most k holders, keeps its permits and is FIFO", async () => {
  await property("Semaphore", permitSchedule("Semaphore"), playPermits);
});

Deno.test("property: BoundedSemaphore(k) is never over-released and keeps its permits", async () => {
  await property(
    "BoundedSemaphore",
    permitSchedule("BoundedSemaphore"),
    playPermits,
  );
});

Deno.test("property: Condition loses no notification and waits return with the lock", async () => {
  await property("Condition", condSchedule, playCondition);
});

Deno.test("property: a bounded Queue loses, duplicates and reorders no item", async () => {
  await property("Queue", queueSchedule, playQueue);
});

Deno.test("property: waitFor(aw, 0) cancels an awaitable that has not started, as CPython", async () => {
  await property("waitFor(aw, 0)", zeroCase, playZero);
});
