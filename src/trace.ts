/**
 * Traces: what every task did and when, recorded while asked for and
 * written as Chrome trace event JSON (Perfetto, `chrome://tracing`), or as
 * a self-contained HTML page (`timeline.ts`).
 *
 * Recorded: each task's creation and steps (from the handle that resumes
 * it to its next suspension), what each suspension waits on, what woke it
 * (a flow arrow from the step, callback or Worker job that scheduled the
 * wake-up), the loop's callbacks and timers, and executor jobs (submitted,
 * run on a Worker, ended). One track per task, per loop and per Worker.
 *
 * Recording is cheap: the core calls the recorder through hooks that cost
 * a null check while no trace runs (`_trace_hooks.ts`); while one runs,
 * each event is a few numbers in typed arrays and object references in
 * two arrays, and the JSON is only made at the end.
 *
 * @module
 */
import { taskContext } from "./_context.ts";
import { envString } from "./_env.ts";
import { rangeError, typeError } from "./_validate.ts";
import {
  AWAIT_DONE,
  AWAIT_FOREIGN,
  AWAIT_FUTURE,
  AWAIT_YIELD,
  CB,
  CB_END,
  CHUNK,
  Chunk,
  CHUNK_BITS,
  CREATE,
  JOB_CANCELLED,
  JOB_END,
  JOB_FAILED,
  JOB_OK,
  JOB_SENT,
  JOB_SUBMIT,
  JsonWriter,
  type Label,
  Layout,
  LOOP,
  type Records,
  SCHED,
  SLEEP_TIMER,
  STEP,
  SUSPEND,
  TIMER_CB,
  TIMER_SET,
  WAKE,
} from "./_trace_format.ts";
import { setTracer, type TraceHooks, tracer } from "./_trace_hooks.ts";
import { Future } from "./futures.ts";
import { kAwaiting, type Task } from "./tasks.ts";

const DEFAULT_MAX_EVENTS = 1 << 24;

// The loop's ready queue as far as the trace knows it: the items scheduled
// while recording, in order, each with its SCHED record. The loop runs its
// ready queue in order, so the item it runs is at the front (or the trace
// never saw it: a timer, or an item scheduled before recording began).
class ReadyMirror {
  items: (object | undefined)[] = new Array(1024);
  recs = new Int32Array(1024);
  head = 0;
  size = 0;

  push(item: object, rec: number): void {
    let cap = this.recs.length;
    if (this.size === cap) {
      const items: (object | undefined)[] = new Array(cap * 2);
      const recs = new Int32Array(cap * 2);
      for (let i = 0; i < cap; i++) {
        const j = (this.head + i) & (cap - 1);
        items[i] = this.items[j];
        recs[i] = this.recs[j];
      }
      this.items = items;
      this.recs = recs;
      this.head = 0;
      cap *= 2;
    }
    const at = (this.head + this.size) & (cap - 1);
    this.items[at] = item;
    this.recs[at] = rec;
    this.size++;
  }

  // The SCHED record of `item` if it is the next one tracked, else -1.
  take(item: object): number {
    const mask = this.recs.length - 1;
    while (this.size > 0) {
      const front = this.items[this.head]!;
      if (front !== item) {
        // The loop skipped it (cancelled), or `item` is not tracked.
        if (!(front as { cancelled(): boolean }).cancelled()) return -1;
      }
      const rec = this.recs[this.head];
      this.items[this.head] = undefined;
      this.head = (this.head + 1) & mask;
      this.size--;
      if (front === item) return rec;
    }
    return -1;
  }
}

const MASK = CHUNK - 1;

// The recorder: installed as the core's tracer while a trace runs.
class Recorder implements TraceHooks {
  n = 0;
  readonly chunks: Chunk[] = [];
  readonly max: number;
  readonly delays = new Map<number, number>();
  readonly labels = new WeakMap<object, Label>();
  readonly origin: number;
  truncated = false;

  #c: Chunk;
  #off = 0;
  #lastTs: number;
  // The record of the slice whose code runs now (a step, a callback, a
  // job's end), or -1 (loop or host code).
  #cur = -1;
  #stepping: object | null = null;
  #yielded = false;
  #handleRec = -1;
  #handleTs = 0;
  #mirrorLoop: object | null = null;
  #runLoop: object | null = null;
  #mirror: ReadyMirror | null = null;
  readonly #mirrors = new WeakMap<object, ReadyMirror>();
  readonly #timers = new WeakMap<object, number>();
  // Per task, the library coroutines (async bodies) running in it.
  readonly #ops = new Map<object, Label[]>();

  constructor(max: number) {
    this.max = max;
    this.#c = new Chunk();
    this.chunks.push(this.#c);
    this.origin = this.#lastTs = performance.now();
  }

  #push(kind: number, ts: number, a: unknown, ref: number): number {
    if (this.n === this.max) {
      // Full: recording stops here (the trace says it was cut short).
      this.truncated = true;
      if (tracer === this) setTracer(null);
      return -1;
    }
    let off = this.#off;
    if (off === CHUNK) {
      this.chunks.push(this.#c = new Chunk());
      off = 0;
    }
    const c = this.#c;
    c.kind[off] = kind;
    c.ts[off] = ts;
    c.ref[off] = ref;
    c.a[off] = a;
    this.#off = off + 1;
    return this.n++;
  }

  // A record with a second reference.
  #push2(kind: number, ts: number, a: unknown, b: object, ref: number): number {
    const r = this.#push(kind, ts, a, ref);
    if (r >= 0) (this.#c.b ??= new Array(CHUNK))[r & MASK] = b;
    return r;
  }

  #chunk(i: number): Chunk {
    return this.chunks[i >>> CHUNK_BITS];
  }

  #now(): number {
    return this.#lastTs = performance.now();
  }

  #mirrorOf(loop: object): ReadyMirror {
    if (loop === this.#mirrorLoop) return this.#mirror!;
    let mirror = this.#mirrors.get(loop);
    if (mirror === undefined) {
      this.#mirrors.set(loop, mirror = new ReadyMirror());
    }
    this.#mirrorLoop = loop;
    this.#mirror = mirror;
    return mirror;
  }

  /** The records (for the writer). */
  records(): Records {
    return {
      n: this.n,
      chunks: this.chunks,
      delays: this.delays,
      labels: this.labels,
      origin: this.origin,
      truncated: this.truncated,
    };
  }

  taskCreated(task: object): void {
    this.#push(CREATE, this.#now(), task, this.#cur);
  }

  scheduled(loop: object, item: object, callback: object | null): void {
    // A named callback is kept by its name: the trace holds on to nothing
    // that would otherwise be garbage (the loop's sleep(0) steps, say).
    const rec = this.#push(
      SCHED,
      this.#lastTs,
      callback === null
        ? null
        : (callback as { name?: string }).name || callback,
      this.#cur,
    );
    if (rec < 0) return;
    this.#mirrorOf(loop).push(item, rec);
    // sleep(0) schedules the step that resumes its own task.
    if (
      callback === null && this.#stepping !== null &&
      (item as { task?: unknown }).task === this.#stepping
    ) this.#yielded = true;
  }

  timerScheduled(
    loop: object,
    timer: object,
    callback: object,
    when: number,
  ): void {
    const delay = when - (loop as { time(): number }).time();
    const rec = this.#push2(
      TIMER_SET,
      this.#now(),
      (callback as { name?: string }).name || callback,
      loop,
      this.#cur,
    );
    if (rec < 0) return;
    this.#timers.set(timer, rec);
    this.delays.set(rec, delay);
  }

  handleStart(loop: object, item: object): void {
    let kind = CB;
    let link = this.#mirrorOf(loop).take(item);
    if (link < 0) {
      const timer = this.#timers.get(item);
      if (timer !== undefined) {
        link = timer;
        kind = TIMER_CB;
      }
    }
    const ts = this.#now();
    if (loop !== this.#runLoop) {
      // The loop whose track the callbacks that follow are on.
      this.#runLoop = loop;
      this.#push(LOOP, ts, loop, -1);
    }
    // Unnamed, an item is kept (until it turns out to be a task's wake-up).
    const callback = (link >= 0 ? this.#chunk(link).a[link & MASK] : null) ??
      item;
    this.#handleTs = ts;
    this.#cur = this.#handleRec = this.#push(kind, ts, callback, link);
  }

  handleEnd(): void {
    const rec = this.#handleRec;
    this.#handleRec = -1;
    if (rec >= 0 && this.#chunk(rec).kind[rec & MASK] !== WAKE) {
      this.#push(CB_END, this.#now(), null, rec);
    }
    if (this.#stepping === null) this.#cur = -1;
  }

  stepStart(task: object): void {
    const h = this.#handleRec;
    let link = -1;
    let ts: number;
    const c = h >= 0 ? this.#chunk(h) : null;
    if (c !== null && c.kind[h & MASK] !== WAKE) {
      // The handle running now resumed the task: the step stands for it.
      c.kind[h & MASK] = WAKE;
      c.a[h & MASK] = null;
      link = c.ref[h & MASK];
      ts = this.#handleTs;
    } else ts = this.#now();
    this.#stepping = task;
    this.#yielded = false;
    this.#cur = this.#push(STEP, ts, task, link);
  }

  stepEnd(task: object): void {
    const t = task as Task<unknown>;
    let what = AWAIT_DONE;
    let awaited: Future<unknown> | null = null;
    if (!t.done()) {
      awaited = t[kAwaiting];
      if (awaited !== null) {
        const ops = this.#ops.get(task);
        if (ops !== undefined) this.#within(awaited, ops[ops.length - 1]);
      }
      what = awaited !== null
        ? AWAIT_FUTURE
        : this.#yielded
        ? AWAIT_YIELD
        : AWAIT_FOREIGN;
    }
    if (awaited === null) this.#push(SUSPEND, this.#now(), task, what);
    else this.#push2(SUSPEND, this.#now(), task, awaited, what);
    this.#stepping = null;
    this.#cur = -1;
  }

  // `future` is awaited inside the library coroutine `op`: unless it says
  // more itself (a Lock.acquire's future), it is named after `op`.
  #within(future: object, op: Label): void {
    const label = this.labels.get(future);
    if (label === undefined) this.labels.set(future, op);
    else if (label.what === null) {
      this.labels.set(future, {
        what: op.what,
        detail: undefined,
        owner: op.owner ?? label.owner,
      });
    }
  }

  label(future: object, what: string, detail: unknown): void {
    if (what === "sleep") {
      // The sleep's timer was recorded just before: name it after the sleep.
      const last = this.n - 1;
      const c = last >= 0 ? this.#chunk(last) : null;
      if (c !== null && c.kind[last & MASK] === TIMER_SET) {
        c.a[last & MASK] = SLEEP_TIMER;
        this.delays.set(last, detail as number);
      }
    }
    const label = this.labels.get(future);
    const owner = typeof detail === "object" && detail !== null ? detail : null;
    if (label === undefined) {
      this.labels.set(future, { what, detail, owner });
    } else {
      label.what = what;
      label.detail = detail;
      label.owner ??= owner;
    }
  }

  coroutine(name: string, self: unknown, result: unknown): void {
    if (result instanceof Future) {
      this.label(result, name, self);
      return;
    }
    // A body that runs on (an async function): what its task awaits
    // meanwhile is named after it, until it ends.
    const task = this.#stepping ?? taskContext.getStore();
    if (task === undefined || task === null || !isThenable(result)) return;
    const op: Label = {
      what: name,
      detail: undefined,
      owner: typeof self === "object" && self !== null ? self : null,
    };
    let ops = this.#ops.get(task);
    if (ops === undefined) this.#ops.set(task, ops = []);
    ops.push(op);
    const done = () => {
      const list = this.#ops.get(task);
      if (list === undefined) return;
      const at = list.lastIndexOf(op);
      if (at >= 0) list.splice(at, 1);
      if (list.length === 0) this.#ops.delete(task);
    };
    result.then(done, done);
  }

  parked(future: object, owner: object): void {
    const label = this.labels.get(future);
    if (label === undefined) {
      this.labels.set(future, { what: null, detail: undefined, owner });
    } else label.owner = owner;
  }

  executorFuture(future: object, job: object): void {
    this.labels.set(future, { what: "executor", detail: job, owner: null });
  }

  jobSubmitted(job: object): void {
    this.#push(JOB_SUBMIT, this.#now(), job, this.#cur);
  }

  jobSent(job: object, worker: object): void {
    this.#push2(JOB_SENT, this.#now(), job, worker, -1);
  }

  jobFinished(job: object, failed: boolean, settle: () => void): void {
    const rec = this.#push(
      JOB_END,
      this.#now(),
      job,
      failed ? JOB_FAILED : JOB_OK,
    );
    // What the outcome wakes was scheduled by this job.
    const saved = this.#cur;
    if (rec >= 0) this.#cur = rec;
    try {
      settle();
    } finally {
      this.#cur = saved;
    }
  }

  jobCancelled(job: object): void {
    this.#push(JOB_END, this.#now(), job, JOB_CANCELLED);
  }
}

/**
 * Options of {@link startTrace}.
 *
 * @example Keep at most a million events
 * ```ts
 * import { startTrace, stopTrace, type TraceOptions } from "@aio/asyncio";
 *
 * const options: TraceOptions = { maxEvents: 1_000_000 };
 * startTrace(options);
 * console.log(stopTrace().truncated); // false
 * ```
 */
export interface TraceOptions {
  /**
   * The most events kept (default 16,777,216): recording stops there and
   * the trace says it was cut short (`truncated`).
   */
  maxEvents?: number;
}

/**
 * Starts recording a trace of every event loop of this thread: task
 * creations and steps, suspensions and wake-ups, callbacks, timers and
 * executor jobs. {@link stopTrace} ends it and returns the {@link Trace}.
 * Throws if a trace is being recorded already. `run(main, { trace })` and
 * the `ASYNCIO_TRACE` environment variable do the same around a whole
 * program.
 *
 * @example Record a few tasks and save the trace
 * ```ts
 * import { gather, run, sleep, startTrace, stopTrace } from "@aio/asyncio";
 *
 * startTrace();
 * await run(() => gather(() => sleep(0.01), () => sleep(0.02)));
 * const trace = stopTrace();
 * console.log(trace.tasks); // 3: main and the two sleeps
 * ```
 */
export function startTrace(options: TraceOptions = {}): void {
  if (recorder !== null) {
    throw new Error("startTrace(): a trace is being recorded already");
  }
  const max = options.maxEvents ?? DEFAULT_MAX_EVENTS;
  if (typeof max !== "number" || !Number.isInteger(max) || max < 1) {
    throw (typeof max === "number" ? rangeError : typeError)(
      "startTrace()",
      "options.maxEvents",
      "a positive integer",
      max,
    );
  }
  recorder = new Recorder(max);
  setTracer(recorder);
}

let recorder: Recorder | null = null;
let makeTrace: (records: Records, end: number) => Trace;

/**
 * Stops the trace {@link startTrace} started and returns it.
 *
 * @example
 * ```ts
 * import { run, sleep, startTrace, stopTrace } from "@aio/asyncio";
 *
 * startTrace();
 * await run(() => sleep(0.01));
 * const trace = stopTrace();
 * console.log(trace.events > 0); // true
 * ```
 */
export function stopTrace(): Trace {
  const r = recorder;
  if (r === null) throw new Error("stopTrace(): no trace is being recorded");
  recorder = null;
  if (tracer === r) setTracer(null);
  return makeTrace(r.records(), performance.now());
}

/**
 * Whether a trace is being recorded (by {@link startTrace}, `run(main, {
 * trace })` or `ASYNCIO_TRACE`).
 *
 * @example
 * ```ts
 * import { isTracing, startTrace, stopTrace } from "@aio/asyncio";
 *
 * startTrace();
 * console.log(isTracing()); // true
 * stopTrace();
 * console.log(isTracing()); // false
 * ```
 */
export function isTracing(): boolean {
  return recorder !== null;
}

/**
 * Chrome's Trace Event Format, as {@link Trace.toChromeTrace} returns it:
 * `traceEvents`, and what the program was.
 *
 * @example Count the steps of a trace
 * ```ts
 * import { type ChromeTrace, run, sleep, startTrace, stopTrace } from "@aio/asyncio";
 *
 * startTrace();
 * await run(() => sleep(0));
 * const json: ChromeTrace = stopTrace().toChromeTrace();
 * console.log(json.traceEvents.filter((e) => e.name === "step").length); // 2
 * ```
 */
export interface ChromeTrace {
  /** The events. */
  traceEvents: TraceEvent[];
  /** `"ms"`: how viewers show times. */
  displayTimeUnit?: string;
  /** What recorded it, and whether it was cut short. */
  otherData?: Record<string, unknown>;
}

/**
 * One event of the Trace Event Format. `ph` is its phase: `B`/`E` begin
 * and end a slice, `X` is a whole slice (`dur`), `i` an instant, `s`/`f`
 * start and finish a flow arrow (matched by `id`), `M` names a process or
 * track. Times are microseconds from the trace's start.
 *
 * @example
 * ```ts
 * import type { TraceEvent } from "@aio/asyncio";
 *
 * const step: TraceEvent = { ph: "B", pid: 1, tid: 3, ts: 10.5, name: "step" };
 * console.log(step.ph);
 * ```
 */
export interface TraceEvent {
  /** The phase: B, E, X, i, s, f or M. */
  ph: string;
  /** The process. */
  pid: number;
  /** The track: a task, an event loop or a Worker. */
  tid: number;
  /** Microseconds from the trace's start (absent on M events). */
  ts?: number;
  /** Duration in microseconds (X events). */
  dur?: number;
  /** What it is. */
  name?: string;
  /** Its category. */
  cat?: string;
  /** A flow's id (s and f events). */
  id?: number;
  /** An instant's scope (`t`: the track). */
  s?: string;
  /** A flow end's binding point (`e`: the enclosing slice). */
  bp?: string;
  /** Details. */
  args?: Record<string, unknown>;
}

/**
 * A recorded trace: what {@link stopTrace} returns. Save it as Chrome trace
 * event JSON (`save`), open that in Perfetto (ui.perfetto.dev) or
 * `chrome://tracing`, or make an HTML timeline of it (`writeTimeline`).
 *
 * @example Save a trace
 * ```ts
 * import { run, sleep, startTrace, stopTrace } from "@aio/asyncio";
 *
 * startTrace();
 * await run(() => sleep(0.01));
 * const path = await Deno.makeTempFile({ suffix: ".json" });
 * stopTrace().save(path);
 * console.log(JSON.parse(await Deno.readTextFile(path)).traceEvents.length > 0); // true
 * await Deno.remove(path);
 * ```
 */
export class Trace {
  readonly #data: Records;
  readonly #end: number;
  #tasks = -1;

  private constructor(records: Records, end: number) {
    this.#data = records;
    this.#end = end;
  }

  static {
    makeTrace = (records, end) => new Trace(records, end);
  }

  /** How many events were recorded (the JSON has a few more). */
  get events(): number {
    return this.#data.n;
  }

  /** How many tasks the trace shows. */
  get tasks(): number {
    if (this.#tasks < 0) {
      this.#tasks = new Layout(this.#data, this.#end).tasks.length;
    }
    return this.#tasks;
  }

  /** Whether recording stopped early because `maxEvents` was reached. */
  get truncated(): boolean {
    return this.#data.truncated;
  }

  /** Milliseconds from the start of recording to its end. */
  get durationMs(): number {
    return this.#end - this.#data.origin;
  }

  /** Writes the trace to `path` as Chrome trace event JSON. */
  save(path: string | URL): void {
    const file = Deno.openSync(path, {
      write: true,
      create: true,
      truncate: true,
    });
    try {
      this.#write((chunk) => {
        for (let done = 0; done < chunk.length;) {
          done += file.writeSync(chunk.subarray(done));
        }
      });
    } finally {
      file.close();
    }
  }

  /** The trace as Chrome trace event JSON text. */
  toJSONText(): string {
    const decoder = new TextDecoder();
    const parts: string[] = [];
    // Each chunk is a view of a buffer that the writer reuses.
    this.#write((chunk) => parts.push(decoder.decode(chunk, { stream: true })));
    parts.push(decoder.decode());
    return parts.join("");
  }

  /** The trace as Chrome trace event objects. */
  toChromeTrace(): ChromeTrace {
    return JSON.parse(this.toJSONText());
  }

  #write(sink: (chunk: Uint8Array) => void): void {
    new JsonWriter(new Layout(this.#data, this.#end), sink).run();
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === "object" &&
    typeof (value as PromiseLike<unknown>).then === "function";
}

/**
 * @ignore For `run()`: starts a trace when `path` (its `trace` option) or
 * the `ASYNCIO_TRACE` environment variable names a file, unless one is
 * being recorded; returns what stops it and writes the file, or null.
 */
export function traceRun(path: string | URL | undefined): (() => void) | null {
  const target = path ?? envString("ASYNCIO_TRACE");
  if (target === undefined || target === "" || recorder !== null) return null;
  startTrace();
  return () => stopTrace().save(target);
}
