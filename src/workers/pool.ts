/**
 * `ThreadPoolExecutor`: a pool of Deno Workers with `concurrent.futures`
 * semantics, plus what threads cannot do in Python: a running job can be
 * cancelled (its Worker is terminated and replaced), and a Worker that
 * dies (an uncaught error, `self.close()`, `Deno.exit()`) fails only its
 * own job.
 *
 * @module
 */
import { Deque } from "../_deque.ts";
import { tracer } from "../_trace_hooks.ts";
import { checkDuration, checkInteger } from "../_validate.ts";
import { WorkerCrashedError } from "../errors.ts";
import { ConcurrentFuture, resultsInOrder, zipArgs } from "./concurrent.ts";
import {
  checkSendable,
  describeSpec,
  type FunctionSpec,
  functionSpec,
  transferablesOf,
  type WorkerCallable,
} from "./functions.ts";
import {
  CANCELLED,
  deserializeError,
  DONE,
  ENDING,
  FREE,
  JOB_DONE,
  JOB_FAILED,
  JOB_SKIPPED,
  lockManager,
  QUEUED,
  RUNNING,
  type SerializedError,
  serializeError,
  STOLEN,
  WINDOW,
  WORKER_CLOSING,
  WORKER_CRASHED,
  WORKER_EXITING,
  WORKER_READY,
} from "./_protocol.ts";

// WINDOW (in _protocol.ts): jobs sent ahead to one Worker, enough to hide
// the message round trip (tens of microseconds) behind tiny jobs. Idle
// Workers steal the ones that have not started, so a long job holds up no
// one.

// A Worker that fails before it is ready (its module cannot be loaded:
// no --allow-read, a missing file) fails the same way next time: after
// this many in a row the pool stops starting Workers (Python's
// BrokenThreadPool) instead of respawning them forever.
const START_ATTEMPTS = 3;

// Each Worker holds a Web Lock of its own for its lifetime; the names must
// not meet those of another copy of this module (another thread, another
// version) in the process.
const lockPrefix = `@aio/asyncio pool Worker ${crypto.randomUUID()} `;
let lockCounter = 0;

const workerUrl = new URL("./pool_entry.ts", import.meta.url);

// A function's spec (a long source, say) crosses to each Worker once;
// after that, jobs name it by number.
const specIds = new WeakMap<FunctionSpec, number>();
let nextSpecId = 0;

function specRef(w: PoolWorker, spec: FunctionSpec): unknown {
  let id = specIds.get(spec);
  if (id === undefined) specIds.set(spec, id = nextSpecId++);
  if (w.known.has(id)) return id;
  w.known.add(id);
  return [id, { ...spec }];
}

/**
 * Options of a {@link ThreadPoolExecutor}.
 *
 * @example
 * ```ts
 * import { ThreadPoolExecutor, type ThreadPoolExecutorOptions } from "@aio/asyncio";
 *
 * const options: ThreadPoolExecutorOptions = { maxWorkers: 2, idleTimeout: 5 };
 * await using pool = new ThreadPoolExecutor(options);
 * console.log(pool.maxWorkers); // 2
 * ```
 */
export interface ThreadPoolExecutorOptions {
  /** At most this many Workers (default: CPUs + 4, at most 32, as Python). */
  maxWorkers?: number;
  /** Prefix of the Workers' names (Python's `thread_name_prefix`). */
  threadNamePrefix?: string;
  /**
   * Seconds an idle Worker lives before it is terminated (default 1), so
   * that a pool nobody shut down does not keep the process alive; null
   * keeps idle Workers until `shutdown()`.
   */
  idleTimeout?: number | null;
}

/**
 * What {@link ThreadPoolExecutor.statistics} returns.
 *
 * @example
 * ```ts
 * import { ThreadPoolExecutor } from "@aio/asyncio";
 *
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
 * const { workers, jobsPending } = pool.statistics();
 * console.log(workers, jobsPending); // 0 0 (no Worker before the first job)
 * ```
 */
export interface ThreadPoolExecutorStatistics {
  /** Workers alive now. */
  workers: number;
  /** Jobs submitted and not sent to a Worker yet. */
  jobsQueued: number;
  /** Jobs submitted and not done yet (queued or at a Worker). */
  jobsPending: number;
}

let poolCounter = 0;

// How a job (and map()) cancels through its pool.
const kCancel: unique symbol = Symbol("cancel job");

class Job<T> extends ConcurrentFuture<T> {
  // The Worker it was sent to and its slot there (null: still queued).
  worker: PoolWorker | null = null;
  slot = -1;
  // When it was sent: a Worker runs its jobs, and replies, in this order.
  sent = 0;
  constructor(
    readonly pool: ThreadPoolExecutor,
    readonly seq: number,
    readonly spec: FunctionSpec,
    readonly args: unknown[],
    readonly transfer: Transferable[],
  ) {
    super();
  }
  protected override isRunning(): boolean {
    const w = this.worker;
    return w !== null && Atomics.load(w.slots, this.slot) === RUNNING;
  }
  protected override cancelJob(): boolean {
    return this.pool[kCancel](this, true);
  }
  /** The job's outcome. */
  finish(error: boolean, value: unknown): void {
    if (tracer === null) this.settle(error, value);
    else tracer.jobFinished(this, error, () => this.settle(error, value));
  }
  /** The job was dropped. */
  markCancelled(): void {
    if (tracer !== null) tracer.jobCancelled(this);
    this.setCancelled();
  }
}

interface PoolWorker {
  readonly worker: Worker;
  readonly slots: Int32Array;
  readonly jobs: (Job<unknown> | undefined)[];
  readonly free: number[];
  readonly known: Set<number>;
  readonly lock: string;
  inFlight: number;
  /** It said it is ready: its module loaded. */
  started: boolean;
  dead: boolean;
  /**
   * Once dead: replies still on their way (DONE slots). It is terminated
   * when they have arrived, as terminate() drops the messages in transit.
   */
  awaiting: number;
  idleTimer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * A pool of Deno Workers that runs functions off the main thread: Python's
 * `concurrent.futures.ThreadPoolExecutor`. Workers start lazily up to
 * `maxWorkers`, are reused, and excess jobs wait in order.
 *
 * A function is named by reference (a {@link WorkerFunction}, made by
 * `workerModule` or `workerFunction`) or sent by source (a
 * self-contained function). Arguments and results are structured-cloned;
 * `transfer()` moves buffers instead.
 *
 * Cancelling a job that has not started drops it; cancelling a running
 * job terminates its Worker (a new one takes the next jobs). A Worker
 * that dies (an uncaught error, `self.close()`, `Deno.exit()`) fails only
 * its own job, with `WorkerCrashedError`; the jobs sent ahead to it run on
 * another Worker. If Workers cannot start (no `--allow-read`, a missing
 * module), the pool gives up after three in a row: the jobs waiting, and
 * later `submit()` calls, fail with a `WorkerCrashedError` that says why.
 *
 * @example
 * ```ts
 * import { ThreadPoolExecutor } from "@aio/asyncio";
 *
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
 * const square = (x: number) => x * x;
 * console.log(await pool.submit(square, 7)); // 49
 * const results = [];
 * for await (const y of pool.map(square, [1, 2, 3])) results.push(y);
 * console.log(results); // [ 1, 4, 9 ]
 * ```
 */
export class ThreadPoolExecutor {
  readonly #maxWorkers: number;
  readonly #prefix: string;
  readonly #idleTimeout: number | null;
  readonly #workers: PoolWorker[] = [];
  readonly #queue = new Deque<Job<unknown>>();
  #started = 0;
  #seq = 0;
  #sent = 0;
  #outstanding = 0;
  #shutdown = false;
  #finished: PromiseWithResolvers<void> | null = null;
  // Workers in a row that failed to start, and why the last one did.
  #startFailures = 0;
  // Set after START_ATTEMPTS failures: the pool takes no more jobs.
  #broken: string | null = null;

  /** Creates a pool; no Worker starts before the first job. */
  constructor(options: ThreadPoolExecutorOptions = {}) {
    const cpus = navigator.hardwareConcurrency ?? 1;
    const max = checkInteger(
      "new ThreadPoolExecutor()",
      "options.maxWorkers",
      options.maxWorkers ?? Math.min(32, cpus + 4),
      1,
    );
    const idle = checkDuration(
      "new ThreadPoolExecutor()",
      "options.idleTimeout",
      options.idleTimeout === undefined ? 1 : options.idleTimeout,
      { nullable: true },
    );
    this.#maxWorkers = max;
    this.#idleTimeout = idle;
    this.#prefix = options.threadNamePrefix ||
      `ThreadPoolExecutor-${poolCounter++}`;
  }

  /** The most Workers this pool runs at once. */
  get maxWorkers(): number {
    return this.#maxWorkers;
  }

  /**
   * What the pool holds now: Workers alive, jobs waiting for a Worker,
   * and jobs submitted and not done yet (waiting or running).
   */
  statistics(): ThreadPoolExecutorStatistics {
    return {
      workers: this.#workers.length,
      jobsQueued: this.#queue.length,
      jobsPending: this.#outstanding,
    };
  }

  /**
   * Schedules `fn(...args)` on a Worker and returns the future of its
   * result. Throws if the pool was shut down.
   */
  submit<A extends unknown[], R>(
    fn: WorkerCallable<A, R>,
    ...args: A
  ): ConcurrentFuture<Awaited<R>> {
    const spec = functionSpec(fn, "submit()");
    checkSendable(args, "submit()");
    if (this.#shutdown) {
      throw new Error("cannot schedule new futures after shutdown");
    }
    if (this.#broken !== null) {
      throw new WorkerCrashedError(
        `cannot run ${describeSpec(spec)}: ${this.#broken}`,
      );
    }
    const job = new Job<Awaited<R>>(
      this,
      this.#seq++,
      spec,
      args,
      transferablesOf(args),
    );
    this.#outstanding++;
    if (tracer !== null) tracer.jobSubmitted(job);
    this.#queue.push(job as Job<unknown>);
    this.#pump();
    return job;
  }

  /**
   * Runs `fn` on each set of arguments taken from the iterables in step
   * (all submitted at once) and yields the results in order. Leaving the
   * loop early cancels the jobs that have not started.
   */
  map<A extends unknown[], R>(
    fn: WorkerCallable<A, R>,
    ...iterables: { [K in keyof A]: Iterable<A[K]> }
  ): AsyncGenerator<Awaited<R>, void, undefined> {
    const futures = zipArgs(iterables).map((args) =>
      this.submit(fn, ...(args as A))
    );
    return resultsInOrder(
      futures,
      (fut) => this[kCancel](fut as Job<unknown>, false),
    );
  }

  /**
   * Stops taking jobs and, once the jobs already submitted are done,
   * terminates the Workers. `cancelFutures` drops the jobs that have not
   * started; `wait` (default true) waits for the rest.
   */
  shutdown(
    options: { wait?: boolean; cancelFutures?: boolean } = {},
  ): Promise<void> {
    const { wait = true, cancelFutures = false } = options;
    this.#shutdown = true;
    this.#finished ??= Promise.withResolvers<void>();
    if (cancelFutures) {
      for (let job = this.#queue.shift(); job; job = this.#queue.shift()) {
        this.#cancelQueued(job);
      }
      for (const w of this.#workers) {
        for (const job of w.jobs) if (job) this[kCancel](job, false);
      }
    }
    this.#finishIfIdle();
    return wait ? this.#finished.promise : Promise.resolve();
  }

  /** `await using pool = new ThreadPoolExecutor()`: shuts down, waiting. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown({ wait: true });
  }

  /** Python's repr. */
  toString(): string {
    return `<ThreadPoolExecutor maxWorkers=${this.#maxWorkers} workers=${this.#workers.length} pending=${this.#outstanding}${
      this.#shutdown ? " shutdown" : ""
    }>`;
  }

  /**
   * @ignore Drops `job` if it has not started. A running job is stopped
   * by terminating its Worker when `stopRunning`, else left alone.
   * Returns false if the job cannot be cancelled.
   */
  [kCancel](job: Job<unknown>, stopRunning: boolean): boolean {
    if (job.done()) return false;
    const w = job.worker;
    if (w === null) {
      // Still in the queue: it is skipped when its turn comes.
      this.#cancelQueued(job);
      return true;
    }
    const slot = job.slot;
    const state = Atomics.compareExchange(w.slots, slot, QUEUED, CANCELLED);
    if (state === QUEUED) {
      // The Worker skips it and then frees the slot.
      w.jobs[slot] = undefined;
      this.#jobCancelled(job);
      return true;
    }
    // DONE (finished, its reply on the way), a running job that map()
    // leaves alone, or one whose Worker is gone: nothing to cancel.
    if (state !== RUNNING || !stopRunning || w.dead) return false;
    // Take back the jobs sent ahead first, so that the Worker starts none
    // of them while it is being terminated; then look again: the job may
    // have finished meanwhile.
    this.#requeue(this.#steal(w));
    if (Atomics.load(w.slots, slot) !== RUNNING) {
      this.#pump();
      return false;
    }
    this.#jobCancelled(job);
    this.#retire(w, "was terminated because its job was cancelled");
    return true;
  }

  #cancelQueued(job: Job<unknown>): void {
    // A job still in the queue has not been counted by any Worker.
    this.#jobCancelled(job);
  }

  #jobCancelled(job: Job<unknown>): void {
    job.worker = null;
    job.markCancelled();
    this.#jobDone();
  }

  #jobDone(): void {
    this.#outstanding--;
    this.#finishIfIdle();
  }

  #finishIfIdle(): void {
    if (!this.#shutdown || this.#outstanding > 0) return;
    for (const w of [...this.#workers]) this.#retire(w, "");
    this.#finished?.resolve();
  }

  #pump(): void {
    const queue = this.#queue;
    if (this.#broken !== null) {
      this.#failQueued();
      return;
    }
    let batches: Map<PoolWorker, unknown[]> | undefined;
    while (queue.length > 0) {
      const job = queue.peek()!;
      if (job.done()) {
        queue.shift();
        continue;
      }
      let w = this.#leastBusy();
      if (
        w === undefined ||
        (w.inFlight > 0 && this.#workers.length < this.#maxWorkers)
      ) {
        w = this.#spawn();
      }
      if (w.inFlight >= WINDOW) break;
      queue.shift();
      const slot = w.free.pop()!;
      w.jobs[slot] = job;
      w.inFlight++;
      job.worker = w;
      job.slot = slot;
      job.sent = this.#sent++;
      if (tracer !== null) tracer.jobSent(job, w.worker);
      Atomics.store(w.slots, slot, QUEUED);
      if (w.idleTimer !== undefined) {
        clearTimeout(w.idleTimer);
        w.idleTimer = undefined;
      }
      batches ??= new Map();
      let batch = batches.get(w);
      if (batch === undefined) batches.set(w, batch = []);
      batch.push(slot, specRef(w, job.spec), job.args);
    }
    if (batches !== undefined) {
      for (const [w, batch] of batches) this.#send(w, batch);
    }
  }

  /** No Worker can start: the jobs waiting for one fail. */
  #failQueued(): void {
    for (let job = this.#queue.shift(); job; job = this.#queue.shift()) {
      if (job.done()) continue;
      job.finish(
        true,
        new WorkerCrashedError(
          `could not start a Worker to run ${
            describeSpec(job.spec)
          }: ${this.#broken}`,
        ),
      );
      this.#jobDone();
    }
  }

  #send(w: PoolWorker, batch: unknown[]): void {
    let transfer: Transferable[] | undefined;
    for (let i = 0; i < batch.length; i += 3) {
      const job = w.jobs[batch[i] as number]!;
      if (job.transfer.length > 0) (transfer ??= []).push(...job.transfer);
    }
    try {
      w.worker.postMessage(batch, transfer ?? []);
      return;
    } catch {
      // One job's arguments cannot be cloned: send them one by one.
    }
    for (let i = 0; i < batch.length; i += 3) {
      const slot = batch[i] as number;
      const job = w.jobs[slot]!;
      const id = specIds.get(job.spec)!;
      try {
        w.worker.postMessage(
          [slot, [id, { ...job.spec }], job.args],
          job.transfer,
        );
        w.known.add(id);
      } catch (error) {
        // The Worker may not have this function yet: define it next time.
        w.known.delete(id);
        w.jobs[slot] = undefined;
        this.#freeSlot(w, slot);
        job.worker = null;
        job.finish(
          true,
          new TypeError(
            `the arguments of ${
              describeSpec(job.spec)
            } cannot be sent to a Worker (they are structured-cloned): ${
              error instanceof Error ? error.message : String(error)
            }`,
            { cause: error },
          ),
        );
        this.#jobDone();
      }
    }
  }

  #leastBusy(): PoolWorker | undefined {
    let best: PoolWorker | undefined;
    for (const w of this.#workers) {
      if (best === undefined || w.inFlight < best.inFlight) best = w;
    }
    return best;
  }

  #spawn(): PoolWorker {
    const worker = new Worker(workerUrl, {
      type: "module",
      name: `${this.#prefix}_${this.#started++}`,
    });
    const shared = new SharedArrayBuffer((WINDOW + 1) * 4);
    const lock = lockPrefix + lockCounter++;
    worker.postMessage([shared, lock]);
    const w: PoolWorker = {
      worker,
      slots: new Int32Array(shared),
      jobs: new Array(WINDOW).fill(undefined),
      free: Array.from({ length: WINDOW }, (_, i) => WINDOW - 1 - i),
      known: new Set(),
      lock,
      inFlight: 0,
      started: false,
      dead: false,
      awaiting: 0,
      idleTimer: undefined,
    };
    worker.onmessage = (event) => this.#reply(w, event.data);
    worker.onmessageerror = () => this.#unreadable(w);
    worker.onerror = (event) => {
      event.preventDefault();
      if (w.started) this.#retire(w, `crashed: ${event.message}`);
      else this.#startFailed(w, event.message);
    };
    this.#workers.push(w);
    return w;
  }

  /** `w` failed before it was ready: its jobs wait for the next one. */
  #startFailed(w: PoolWorker, why: string): void {
    if (w.dead) return;
    if (++this.#startFailures >= START_ATTEMPTS && this.#broken === null) {
      this.#broken =
        `${why} (${START_ATTEMPTS} Workers in a row failed to start; the pool gave up)`;
    }
    this.#retire(w, "");
  }

  #reply(w: PoolWorker, message: unknown[]): void {
    const kind = message[0] as number;
    if (w.dead) {
      // A reply that was on its way when the Worker ended.
      if (kind === JOB_DONE || kind === JOB_FAILED) this.#lateReply(w, message);
      return;
    }
    if (!w.started) {
      w.started = true;
      this.#startFailures = 0;
    }
    if (kind >= WORKER_CLOSING) {
      this.#workerMessage(w, kind, message);
      return;
    }
    const slot = message[1] as number;
    const job = w.jobs[slot];
    w.jobs[slot] = undefined;
    this.#freeSlot(w, slot);
    if (job !== undefined && kind !== JOB_SKIPPED) {
      job.worker = null;
      job.finish(
        kind === JOB_FAILED,
        kind === JOB_DONE
          ? message[2]
          : deserializeError(message[2] as SerializedError),
      );
      this.#jobDone();
    }
    if (w.inFlight === 0 && !w.dead) this.#idle(w);
    this.#pump();
  }

  /** What a Worker says about itself: it is ready, or it is ending. */
  #workerMessage(w: PoolWorker, kind: number, message: unknown[]): void {
    if (kind === WORKER_READY) {
      this.#watch(w);
    } else if (kind === WORKER_CLOSING) {
      this.#retire(w, "called self.close()");
    } else if (kind === WORKER_EXITING) {
      this.#retire(w, `exited with Deno.exit(${message[2]})`);
    } else if (kind === WORKER_CRASHED) {
      const error = deserializeError(message[2] as SerializedError);
      this.#retire(
        w,
        `crashed: uncaught ${
          error instanceof Error ? `${error.name}: ${error.message}` : error
        }`,
        error,
      );
    }
  }

  /**
   * Learns when `w` is gone, however it ends. A Worker that ends on its
   * own says why first (its error, self.close(), and Deno.exit() through
   * the "unload" event it dispatches), since Deno tells the parent
   * nothing: no error, close or messageerror event on the Worker (nor a
   * close event on a MessagePort it held), and postMessage() to it is
   * dropped. In case it cannot say it (or a Deno release ends Workers in a
   * way we do not foresee), each Worker also holds a Web Lock for its
   * lifetime, which the runtime releases however the Worker ends; the
   * pool asks for the same lock and is granted it then (measured in Deno
   * 2.9.6 for Deno.exit(), self.close(), an uncaught error and
   * terminate(): 0.6 ms after terminate() at the median). The price: the
   * lock is taken at each Worker's start (about 1.5 ms, the Worker's
   * first use of navigator.locks) and the main thread's first use costs
   * about 4 ms once. A heartbeat was the other candidate: it costs on the
   * happy path and cannot tell a dead Worker from a job that blocks.
   */
  #watch(w: PoolWorker): void {
    lockManager()?.request(w.lock, () => {
      // Ending on its own, it set ENDING before saying why: wait for that.
      if (!w.dead && Atomics.load(w.slots, ENDING) === 0) {
        this.#retire(
          w,
          "ended without an error, self.close() or Deno.exit() (its Web Lock was released)",
        );
      }
    });
  }

  #freeSlot(w: PoolWorker, slot: number): void {
    Atomics.store(w.slots, slot, FREE);
    w.free.push(slot);
    w.inFlight--;
  }

  /** `w` has nothing to do: take waiting work from a busy Worker. */
  #idle(w: PoolWorker): void {
    if (this.#queue.length === 0) {
      for (const other of this.#workers) {
        if (other === w || other.inFlight < 2) continue;
        this.#requeue(this.#steal(other));
      }
      if (this.#queue.length > 0) return;
    }
    if (this.#idleTimeout !== null && !this.#shutdown) {
      w.idleTimer = setTimeout(() => {
        w.idleTimer = undefined;
        if (w.inFlight === 0) this.#retire(w, "");
      }, this.#idleTimeout * 1000);
    }
  }

  /**
   * Takes back the jobs sent to `w` that it has not started: the Worker
   * skips them (and frees their slots) if it ever gets to them.
   */
  #steal(w: PoolWorker): Job<unknown>[] {
    const stolen: Job<unknown>[] = [];
    for (let slot = 0; slot < WINDOW; slot++) {
      const job = w.jobs[slot];
      if (
        job !== undefined &&
        Atomics.compareExchange(w.slots, slot, QUEUED, STOLEN) === QUEUED
      ) {
        w.jobs[slot] = undefined;
        job.worker = null;
        stolen.push(job);
      }
    }
    return stolen;
  }

  /**
   * Puts jobs that never started back in the queue, in submit order, ahead
   * of the jobs submitted after them.
   */
  #requeue(jobs: Job<unknown>[]): void {
    if (jobs.length === 0) return;
    const queue = this.#queue;
    jobs.sort((a, b) => a.seq - b.seq);
    // The queue is in submit order; the jobs at its head that are older
    // than these (put back earlier) stay ahead of them.
    const last = jobs[jobs.length - 1].seq;
    const older: Job<unknown>[] = [];
    while (queue.length > 0 && queue.peek()!.seq < last) {
      older.push(queue.shift()!);
    }
    if (older.length > 0) {
      jobs = [...jobs, ...older].sort((a, b) => a.seq - b.seq);
    }
    for (let i = jobs.length - 1; i >= 0; i--) queue.unshift(jobs[i]);
  }

  /**
   * Takes `w` out of the pool and terminates it. The job it was running
   * (if any) fails with `why`; the jobs sent to it that had not started
   * go back to the queue; the jobs it finished keep their outcome: Deno
   * drops the messages a terminated Worker left in transit, so `w` is
   * terminated once their replies have arrived (a running job that was
   * cancelled runs on until then; no other job starts there).
   */
  #retire(w: PoolWorker, why: string, cause?: unknown): void {
    if (w.dead) return;
    w.dead = true;
    if (w.idleTimer !== undefined) clearTimeout(w.idleTimer);
    // Take back the jobs it has not started, so that it starts none.
    const requeue = this.#steal(w);
    this.#workers.splice(this.#workers.indexOf(w), 1);
    for (let slot = 0; slot < WINDOW; slot++) {
      const job = w.jobs[slot];
      if (job === undefined || job.done()) {
        w.jobs[slot] = undefined;
        continue;
      }
      if (Atomics.load(w.slots, slot) === DONE) {
        w.awaiting++;
        continue;
      }
      // RUNNING: the one job it was running.
      w.jobs[slot] = undefined;
      job.worker = null;
      job.finish(
        true,
        new WorkerCrashedError(
          `the Worker running ${
            describeSpec(job.spec)
          } ${why}; the pool goes on with a new Worker`,
          cause === undefined ? undefined : { cause },
        ),
      );
      this.#jobDone();
    }
    if (w.awaiting === 0) w.worker.terminate();
    this.#requeue(requeue);
    if (!this.#shutdown || this.#outstanding > 0) this.#pump();
  }

  /**
   * A message from `w` could not be read here. Replies come in the order
   * the jobs were sent, so it was the reply of the first job sent that is
   * DONE and has no reply yet; if there is none, it was the Worker saying
   * why it ends.
   */
  #unreadable(w: PoolWorker): void {
    let first: Job<unknown> | undefined;
    for (const job of w.jobs) {
      if (
        job !== undefined && !job.done() &&
        Atomics.load(w.slots, job.slot) === DONE &&
        (first === undefined || job.sent < first.sent)
      ) first = job;
    }
    if (first === undefined) {
      this.#retire(w, "crashed (its last message could not be read)");
      return;
    }
    const error = new TypeError(
      `the result of ${describeSpec(first.spec)} could not be read`,
    );
    this.#reply(w, [JOB_FAILED, first.slot, serializeError(error)]);
  }

  /** The reply of a job `w` finished before it was terminated. */
  #lateReply(w: PoolWorker, message: unknown[]): void {
    const slot = message[1] as number;
    const job = w.jobs[slot];
    if (job === undefined) return;
    w.jobs[slot] = undefined;
    if (!job.done()) {
      job.worker = null;
      job.finish(
        message[0] === JOB_FAILED,
        message[0] === JOB_DONE
          ? message[2]
          : deserializeError(message[2] as SerializedError),
      );
      this.#jobDone();
    }
    if (--w.awaiting === 0) w.worker.terminate();
  }
}
