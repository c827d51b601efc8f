// The trace recorder's records (src/trace.ts makes them) and how they
// become Chrome trace event JSON. The JSON is written as bytes straight
// into a buffer, with the names encoded once: the trace of 100,000 tasks
// is about a million events and must be written in well under a second.
import { coroName } from "./_repr.ts";
import { type Future, kHasException } from "./futures.ts";
import { GatheringFuture, Task } from "./tasks.ts";
import { describeSpec, type FunctionSpec } from "./workers/functions.ts";

// Record kinds: what `a`, `b`, `ref` and `num` hold for each.
export const CREATE = 1; // a: task, ref: slice (its creator's step)
export const SCHED = 2; // a: callback (or the item), ref: slice
export const TIMER_SET = 3; // a: callback (or sleep's future), b: loop, ref: slice, num: delay
export const CB = 4; // a: callback, ref: its SCHED record (loop: see LOOP)
export const TIMER_CB = 5; // a: callback, ref: its TIMER_SET record
export const WAKE = 6; // a CB whose handle resumed a task (the step stands for it)
export const CB_END = 7; // ref: the CB record
export const STEP = 8; // a: task, ref: the SCHED record of its wake-up
export const SUSPEND = 9; // a: task, b: awaited future, ref: AWAIT_*
export const JOB_SUBMIT = 10; // a: job, ref: slice
export const JOB_SENT = 11; // a: job, b: Worker
export const JOB_END = 12; // a: job, ref: JOB_*
export const LOOP = 13; // a: the loop whose handles the next CB records are
// ("slice": the record of the step, callback or job end whose code ran.)

export const AWAIT_FUTURE = 0;
export const AWAIT_YIELD = 1; // sleep(0)
export const AWAIT_FOREIGN = 2; // a promise the library does not know
export const AWAIT_DONE = 3; // not a suspension: the task ended

export const JOB_OK = 0;
export const JOB_FAILED = 1;
export const JOB_CANCELLED = 2;

/** A TIMER_SET record's callback when the timer is a `sleep()`'s. */
export const SLEEP_TIMER: object = Object.freeze({ sleep: true });

/** What a future a task may suspend on is, as far as the hooks told. */
export interface Label {
  what: string | null;
  detail: unknown;
  owner: object | null;
}

/** Records are kept in chunks of this many (never copied as they grow). */
export const CHUNK_BITS = 16;
export const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;

/** A chunk of records: column by column. */
export class Chunk {
  readonly kind = new Uint8Array(CHUNK);
  readonly ts = new Float64Array(CHUNK); // performance.now() milliseconds
  readonly ref = new Int32Array(CHUNK);
  readonly a: unknown[] = new Array(CHUNK);
  // Few records have a second reference: made when one needs it.
  b: unknown[] | null = null;
}

/** The records of a trace, in the order they happened. */
export interface Records {
  readonly n: number;
  readonly chunks: readonly Chunk[];
  readonly delays: ReadonlyMap<number, number>; // TIMER_SET record -> seconds
  readonly origin: number;
  readonly truncated: boolean;
  readonly labels: WeakMap<object, Label>;
}

// Random access to the records' columns.
function kindAt(r: Records, i: number): number {
  return r.chunks[i >>> CHUNK_BITS].kind[i & MASK];
}
function refAt(r: Records, i: number): number {
  return r.chunks[i >>> CHUNK_BITS].ref[i & MASK];
}
function tsAt(r: Records, i: number): number {
  return r.chunks[i >>> CHUNK_BITS].ts[i & MASK];
}
function aAt(r: Records, i: number): unknown {
  return r.chunks[i >>> CHUNK_BITS].a[i & MASK];
}

// The shape of a pool's job that the trace reads.
interface JobLike {
  readonly seq: number;
  readonly spec: FunctionSpec;
}

interface JobInfo {
  submit: number;
  sent: number;
  worker: object | null;
}

const PID = 1;
const LOOP_SORT = -1000;
const WORKER_SORT = -500;

// Track kinds while the tracks are counted (`raw` track numbers are
// kind + 4 * index; the final ones put loops first, then Workers, then
// tasks, each in the order first seen).
const LOOP_TRACK = 1;
const WORKER_TRACK = 2;
const TASK_TRACK = 3;

/** Tracks, slice ends and flows, from two passes over the records. */
export class Layout {
  readonly loops: object[] = [];
  readonly workers: object[] = [];
  readonly tasks: Task<unknown>[] = [];
  readonly jobs = new Map<object, JobInfo>();
  // The track of each record (0: none).
  readonly track: Int32Array;
  // SCHED / TIMER_SET / JOB_SUBMIT records whose flow arrow is drawn.
  readonly flows: Uint8Array;
  // Where the slice a record begins ends (ms).
  readonly ends: Float64Array;
  // The STEP records after which their task was done.
  readonly lastSteps: Uint8Array;

  constructor(readonly r: Records, end: number) {
    const n = r.n;
    const track = this.track = new Int32Array(n);
    const raw = new Map<object, number>();
    const add = (object: object, kindOfTrack: number): number => {
      const list = kindOfTrack === TASK_TRACK
        ? this.tasks
        : kindOfTrack === LOOP_TRACK
        ? this.loops
        : this.workers;
      const code = kindOfTrack + 4 * list.length;
      list.push(object as Task<unknown>);
      raw.set(object, code);
      return code;
    };
    const rawOf = (object: object, kindOfTrack: number): number =>
      raw.get(object) ?? add(object, kindOfTrack);
    // A step's end is its task's next record: no lookup for it.
    let stepping: unknown = null;
    let steppingCode = 0;
    let loop = 0;
    for (let c = 0, i = 0; i < n; c++) {
      const { kind, ref, a, b, ts } = r.chunks[c];
      const len = Math.min(CHUNK, n - i);
      for (let o = 0; o < len; o++, i++) {
        switch (kind[o]) {
          case CREATE:
            // A task made while recording: this is its first record.
            track[i] = add(a[o] as object, TASK_TRACK);
            break;
          case STEP:
            stepping = a[o];
            track[i] = steppingCode = rawOf(a[o] as object, TASK_TRACK);
            break;
          case SUSPEND:
            track[i] = a[o] === stepping
              ? steppingCode
              : rawOf(a[o] as object, TASK_TRACK);
            break;
          case LOOP:
            loop = rawOf(a[o] as object, LOOP_TRACK);
            break;
          case CB:
          case TIMER_CB:
          case WAKE:
            track[i] = loop;
            break;
          case TIMER_SET:
            track[i] = rawOf(b![o] as object, LOOP_TRACK);
            break;
          case CB_END:
            track[i] = track[ref[o]];
            break;
          case JOB_SUBMIT:
            this.jobs.set(a[o] as object, { submit: i, sent: 0, worker: null });
            break;
          case JOB_SENT: {
            const worker = b![o] as object;
            track[i] = rawOf(worker, WORKER_TRACK);
            let job = this.jobs.get(a[o] as object);
            if (job === undefined) {
              job = { submit: -1, sent: 0, worker };
              this.jobs.set(a[o] as object, job);
            }
            job.sent = ts[o];
            job.worker = worker;
            break;
          }
          case JOB_END: {
            const worker = this.jobs.get(a[o] as object)?.worker;
            if (worker) track[i] = raw.get(worker)!;
            break;
          }
        }
      }
    }
    const base = [
      0,
      1,
      1 + this.loops.length,
      1 + this.loops.length + this.workers.length,
    ];
    for (let i = 0; i < n; i++) {
      const code = track[i];
      if (code !== 0) track[i] = base[code & 3] + (code >> 2);
    }
    const tracks = base[TASK_TRACK] + this.tasks.length;
    const flows = this.flows = new Uint8Array(n);
    const ends = this.ends = new Float64Array(n);
    const lastSteps = this.lastSteps = new Uint8Array(n);
    // Per track, the record of the slice open on it.
    const open = new Int32Array(tracks).fill(-1);
    for (let c = 0, i = 0; i < n; c++) {
      const { kind, ref, a, ts } = r.chunks[c];
      const len = Math.min(CHUNK, n - i);
      for (let o = 0; o < len; o++, i++) {
        const k = kind[o];
        if (k === STEP || k === CB || k === TIMER_CB) {
          const t = track[i];
          const opened = open[t];
          if (opened >= 0) ends[opened] = ts[o];
          open[t] = i;
          // A flow is drawn from one track to another (not a task to
          // itself).
          const link = ref[o];
          if (link < 0) continue;
          const from = this.sliceTrack(refAt(r, link));
          if (from > 0 && from !== t) flows[link] = 1;
        } else if (k === CREATE || k === SUSPEND || k === CB_END) {
          const t = track[i];
          const opened = open[t];
          const done = k === SUSPEND && ref[o] === AWAIT_DONE;
          if (opened >= 0) {
            ends[opened] = ts[o];
            if (done && kindAt(r, opened) === STEP) lastSteps[opened] = 1;
          }
          open[t] = k === CB_END || done ? -1 : i;
        } else if (k === JOB_END) {
          const job = this.jobs.get(a[o] as object);
          if (job === undefined || job.worker === null || job.submit < 0) {
            continue;
          }
          if (this.sliceTrack(refAt(r, job.submit)) > 0) flows[job.submit] = 1;
        }
      }
    }
    for (let t = 1; t < tracks; t++) {
      if (open[t] >= 0) ends[open[t]] = end;
    }
  }

  /** The track of the slice whose record is `slice` (0: none, host code). */
  sliceTrack(slice: number): number {
    if (slice < 0) return 0;
    const k = kindAt(this.r, slice);
    if (k !== STEP && k !== CB && k !== TIMER_CB && k !== JOB_END) return 0;
    return this.track[slice];
  }
}

const encoder = new TextEncoder();
const bytes = (text: string) => encoder.encode(text);

// The constant pieces of the events, encoded once.
const X_TID = bytes(`,\n{"ph":"X","pid":${PID},"tid":`);
const I_TID = bytes(`,\n{"ph":"i","s":"t","pid":${PID},"tid":`);
const S_TID = bytes(`,\n{"ph":"s","pid":${PID},"tid":`);
const F_TID = bytes(`,\n{"ph":"f","pid":${PID},"tid":`);
const M_TID = bytes(`,\n{"ph":"M","pid":${PID},"tid":`);
const TS = bytes(`,"ts":`);
const DUR = bytes(`,"dur":`);
const NAME = bytes(`,"name":`);
const FLOW = bytes(`,"cat":"asyncio","name":"wake","id":`);
const THREAD_NAME = bytes(`,"name":"thread_name","args":{"name":`);
const SORT_INDEX = bytes(`,"name":"thread_sort_index","args":{"sort_index":`);
const END_RETURNED = bytes(`,"args":{"end":"returned"}`);
const END_RAISED = bytes(`,"args":{"end":"raised"}`);
const END_CANCELLED = bytes(`,"args":{"end":"cancelled"}`);
const CLOSE = bytes(`}`);
const CLOSE2 = bytes(`}}`);
const STEP_NAME = bytes(`"step"`);
const PENDING_NAME = bytes(`"pending start"`);

/** Where the JSON goes, a chunk of bytes at a time (a reused buffer). */
export type ByteSink = (chunk: Uint8Array) => void;

/**
 * Writes the JSON in record order, so that each track's events are in time
 * order: a slice is one X event, written where it begins (the first passes
 * found where it ends).
 */
export class JsonWriter {
  #buf = new Uint8Array(1 << 20);
  #pos = 0;
  readonly #names = new Map<string, Uint8Array>();
  readonly #ownerIds = new Map<object, string>();
  readonly #ownerCounts = new Map<string, number>();
  readonly #t0: number;
  readonly #prevEnd = new Map<object, number>();
  // JOB_END record -> where flows from that job start (inside its slice).
  readonly #jobFlowTs = new Map<number, number>();

  constructor(
    readonly layout: Layout,
    readonly sink: ByteSink,
  ) {
    this.#t0 = layout.r.origin;
  }

  // Makes room for `n` more bytes.
  #room(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    this.#flush();
    if (n > this.#buf.length) this.#buf = new Uint8Array(n * 2);
  }

  #flush(): void {
    if (this.#pos === 0) return;
    this.sink(this.#buf.subarray(0, this.#pos));
    this.#pos = 0;
  }

  // The writers below assume room was made (events are small).
  #put(piece: Uint8Array): void {
    const n = piece.length;
    const buf = this.#buf;
    const at = this.#pos;
    if (n > 64) buf.set(piece, at);
    // Pieces are small: a loop beats set()'s call.
    else for (let i = 0; i < n; i++) buf[at + i] = piece[i];
    this.#pos = at + n;
  }

  #uint(value: number): void {
    const buf = this.#buf;
    if (value >= 0x7fffffff) {
      // Rare: write the high digits first.
      const high = Math.floor(value / 1e9);
      this.#uint(high);
      const low = value - high * 1e9;
      for (let d = 1e8; d >= 1; d /= 10) {
        buf[this.#pos++] = 48 + (Math.floor(low / d) % 10);
      }
      return;
    }
    let v = value | 0;
    let digits = 1;
    for (let p = 10; p <= v && digits < 10; p *= 10) digits++;
    let at = this.#pos + digits;
    this.#pos = at;
    do {
      const q = (v / 10) | 0;
      buf[--at] = 48 + v - q * 10;
      v = q;
    } while (v > 0);
  }

  // Microseconds with three decimals, from nanoseconds.
  #micros(ns: number): void {
    const us = Math.floor(ns / 1000);
    this.#uint(us);
    let frac = ns - us * 1000;
    const buf = this.#buf;
    buf[this.#pos++] = 46; // .
    const h = (frac / 100) | 0;
    frac -= h * 100;
    const t = (frac / 10) | 0;
    buf[this.#pos++] = 48 + h;
    buf[this.#pos++] = 48 + t;
    buf[this.#pos++] = 48 + frac - t * 10;
  }

  #ns(ms: number): number {
    return Math.max(0, Math.round((ms - this.#t0) * 1e6));
  }

  // A JSON string, written as is when it is plain ASCII.
  #string(text: string): void {
    const n = text.length;
    this.#room(n + 2);
    const buf = this.#buf;
    const start = this.#pos;
    let at = start;
    buf[at++] = 34; // "
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c < 32 || c > 126 || c === 34 || c === 92) {
        this.#pos = start;
        const encoded = bytes(JSON.stringify(text));
        this.#room(encoded.length);
        this.#put(encoded);
        return;
      }
      buf[at++] = c;
    }
    buf[at++] = 34;
    this.#pos = at;
  }

  #name(text: string): Uint8Array {
    let encoded = this.#names.get(text);
    if (encoded === undefined) {
      encoded = bytes(JSON.stringify(text));
      if (this.#names.size < 10_000) this.#names.set(text, encoded);
    }
    return encoded;
  }

  #slice(
    tid: number,
    start: number,
    end: number,
    name: Uint8Array,
    args?: Uint8Array,
  ): void {
    this.#room(128 + name.length + (args?.length ?? 0));
    this.#put(X_TID);
    this.#uint(tid);
    this.#put(TS);
    const ns = this.#ns(start);
    this.#micros(ns);
    this.#put(DUR);
    this.#micros(Math.max(0, this.#ns(end) - ns));
    this.#put(NAME);
    this.#put(name);
    if (args !== undefined) this.#put(args);
    this.#put(CLOSE);
  }

  #instant(tid: number, t: number, name: string): void {
    const encoded = this.#name(name);
    this.#room(96 + encoded.length);
    this.#put(I_TID);
    this.#uint(tid);
    this.#put(TS);
    this.#micros(this.#ns(t));
    this.#put(NAME);
    this.#put(encoded);
    this.#put(CLOSE);
  }

  // A flow's start ("s") or end ("f", bound to the next slice to begin).
  #flow(start: boolean, id: number, tid: number, t: number): void {
    this.#room(128);
    this.#put(start ? S_TID : F_TID);
    this.#uint(tid);
    this.#put(TS);
    this.#micros(this.#ns(t));
    this.#put(FLOW);
    this.#uint(id);
    this.#put(CLOSE);
  }

  #threadName(tid: number, name: string): void {
    this.#room(96);
    this.#put(M_TID);
    this.#uint(tid);
    this.#put(THREAD_NAME);
    this.#string(name);
    this.#room(2);
    this.#put(CLOSE2);
  }

  #sortIndex(tid: number, index: number): void {
    this.#room(128);
    this.#put(M_TID);
    this.#uint(tid);
    this.#put(SORT_INDEX);
    if (index < 0) this.#buf[this.#pos++] = 45; // -
    this.#uint(Math.abs(index));
    this.#put(CLOSE2);
  }

  #text(text: string): void {
    const encoded = bytes(text);
    this.#room(encoded.length);
    this.#put(encoded);
  }

  /** Writes the whole trace; `end` is when recording stopped. */
  run(): void {
    const { layout } = this;
    const r = layout.r;
    const { track, flows, ends, lastSteps } = layout;
    this.#text(
      `{"traceEvents":[\n{"ph":"M","pid":${PID},"tid":0,"name":"process_name","args":{"name":"asyncio"}}`,
    );
    let tid = 1;
    for (let i = 0; i < layout.loops.length; i++, tid++) {
      this.#threadName(
        tid,
        layout.loops.length === 1 ? "event loop" : `event loop ${i + 1}`,
      );
      this.#sortIndex(tid, LOOP_SORT + tid);
    }
    for (let i = 0; i < layout.workers.length; i++, tid++) {
      this.#threadName(tid, `Worker ${i + 1}`);
      this.#sortIndex(tid, WORKER_SORT + tid);
    }
    for (const task of layout.tasks) this.#threadName(tid++, trackName(task));
    for (let c = 0, i = 0; i < r.n; c++) {
      const { kind, ts, ref, a, b } = r.chunks[c];
      const len = Math.min(CHUNK, r.n - i);
      for (let o = 0; o < len; o++, i++) {
        const t = ts[o];
        switch (kind[o]) {
          case CREATE:
            this.#slice(track[i], t, ends[i], PENDING_NAME);
            break;
          case SCHED:
            if (flows[i] === 1) {
              const from = ref[o];
              this.#flow(
                true,
                i,
                layout.sliceTrack(from),
                this.#jobFlowTs.get(from) ?? t,
              );
            }
            break;
          case TIMER_SET: {
            const from = layout.sliceTrack(ref[o]);
            const delay = seconds(r.delays.get(i) ?? 0);
            const name = a[o] === SLEEP_TIMER
              ? `sleep(${delay})`
              : `callLater(${delay}) ${callbackName(a[o])}`;
            this.#instant(from > 0 ? from : track[i], t, name);
            if (flows[i] === 1) this.#flow(true, i, from, t);
            break;
          }
          case CB:
          case TIMER_CB: {
            const link = ref[o];
            if (link >= 0 && flows[link] === 1) {
              this.#flow(false, link, track[i], t);
            }
            const callback = a[o];
            const name = kind[o] === CB
              ? callbackName(callback)
              : callback === SLEEP_TIMER
              ? `sleep(${seconds(r.delays.get(link) ?? 0)}) timer`
              : `timer ${callbackName(callback)}`;
            this.#slice(track[i], t, ends[i], this.#name(name));
            break;
          }
          case STEP: {
            const link = ref[o];
            if (link >= 0 && flows[link] === 1) {
              this.#flow(false, link, track[i], t);
            }
            // The last step says how the task ended.
            const task = a[o] as Task<unknown>;
            this.#slice(
              track[i],
              t,
              ends[i],
              STEP_NAME,
              lastSteps[i] === 0
                ? undefined
                : task.cancelled()
                ? END_CANCELLED
                : task[kHasException]
                ? END_RAISED
                : END_RETURNED,
            );
            break;
          }
          case SUSPEND: {
            const what = ref[o];
            if (what === AWAIT_DONE) break;
            this.#slice(
              track[i],
              t,
              ends[i],
              this.#name(
                waitName(
                  what,
                  (b?.[o] ?? null) as Future<unknown> | null,
                  this,
                ),
              ),
            );
            break;
          }
          case JOB_SUBMIT: {
            const from = layout.sliceTrack(ref[o]);
            if (from > 0) {
              const job = a[o] as JobLike;
              this.#instant(from, t, `submit ${describeSpec(job.spec)}`);
              if (flows[i] === 1) this.#flow(true, i, from, t);
            }
            break;
          }
          case JOB_END:
            this.#jobEnd(i);
            break;
        }
      }
    }
    this.#text(
      `\n],"displayTimeUnit":"ms","otherData":{"recorder":"asyncio for Deno","events":${r.n},"truncated":${r.truncated}}}\n`,
    );
    this.#flush();
  }

  #jobEnd(i: number): void {
    const { layout } = this;
    const r = layout.r;
    const job = aAt(r, i) as JobLike;
    const info = layout.jobs.get(job);
    if (info === undefined || info.worker === null) return; // never sent
    const tid = layout.track[i];
    const end = tsAt(r, i);
    // The main thread sees a job's reply, not its start: it started when
    // it was sent or when the Worker's previous job ended, if later.
    const start = Math.max(info.sent, this.#prevEnd.get(info.worker) ?? 0);
    this.#prevEnd.set(info.worker, end);
    // What its outcome wakes starts just inside the job's slice.
    this.#jobFlowTs.set(i, Math.max(start, end - 1e-6));
    if (info.submit >= 0 && layout.flows[info.submit] === 1) {
      this.#flow(false, info.submit, tid, start);
    }
    const outcome = ["returned", "raised", "cancelled"][refAt(r, i)];
    this.#slice(
      tid,
      start,
      end,
      this.#name(describeSpec(job.spec)),
      bytes(`,"args":{"job":${job.seq},"end":"${outcome}"}`),
    );
  }

  /** "Lock 1": an owner's class and its number among those of its class. */
  ownerName(owner: object): string {
    let name = this.#ownerIds.get(owner);
    if (name === undefined) {
      const cls = owner.constructor?.name || "object";
      const n = (this.#ownerCounts.get(cls) ?? 0) + 1;
      this.#ownerCounts.set(cls, n);
      this.#ownerIds.set(owner, name = `${cls} ${n}`);
    }
    return name;
  }
}

// What a suspension waits on, as its slice is named.
function waitName(
  what: number,
  future: Future<unknown> | null,
  writer: JsonWriter,
): string {
  if (what === AWAIT_YIELD) return "await sleep(0)";
  if (what === AWAIT_FOREIGN) return "await a foreign promise";
  if (future === null) return "await";
  if (future instanceof Task) return `await ${future.getName()}`;
  if (future instanceof GatheringFuture) return "await gather()";
  const label = writer.layout.r.labels.get(future);
  if (label !== undefined) {
    if (label.what === "sleep") {
      return `await sleep(${seconds(label.detail as number)})`;
    }
    if (label.what === "executor") {
      const job = label.detail as JobLike;
      return `await executor job ${job.seq}: ${describeSpec(job.spec)}`;
    }
    const owner = label.owner === null ? "" : writer.ownerName(label.owner);
    if (label.what !== null) {
      return owner === ""
        ? `await ${label.what}()`
        : `await ${label.what}() on ${owner}`;
    }
    if (owner !== "") return `await ${owner}`;
  }
  return `await ${future.constructor.name}`;
}

function seconds(s: number): string {
  return `${Number(s.toPrecision(4))}`;
}

function trackName(task: Task<unknown>): string {
  const name = task.getName();
  let coro = "";
  try {
    coro = task.getCoro().name;
  } catch {
    // A task factory's task may have no coroutine function.
  }
  return coro === "" || coro === name ? name : `${name} (${coro})`;
}

// A callback's name as Python's reprs show it (`() => work()` is named
// after what it calls), made once per function.
const callbackNames = new WeakMap<object, string>();

function callbackName(callback: unknown): string {
  if (typeof callback === "string") return `${callback}()`;
  if (typeof callback !== "function") return String(callback);
  let name = callbackNames.get(callback);
  if (name === undefined) {
    callbackNames.set(callback, name = `${coroName(callback)}()`);
  }
  return name;
}
