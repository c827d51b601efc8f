// Where the core tells a trace recorder what happens (src/trace.ts is the
// recorder). Each hook point in the core is `if (tracer !== null) ...`:
// with tracing off, that null check is all it costs. This module imports
// nothing, so any module may use it.

/** What the core reports while a trace is recorded (see src/trace.ts). */
export interface TraceHooks {
  /** `task` was created (before its first step is scheduled). */
  taskCreated(task: object): void;
  /** `item` joined `loop`'s ready queue; `callback` is what it will run. */
  scheduled(loop: object, item: object, callback: object | null): void;
  /** `timer` (a TimerHandle) was scheduled on `loop` for loop time `when`. */
  timerScheduled(
    loop: object,
    timer: object,
    callback: object,
    when: number,
  ): void;
  /** `loop` runs `item`, a ready handle that was not cancelled. */
  handleStart(loop: object, item: object): void;
  /** The handle that `handleStart` reported returned. */
  handleEnd(): void;
  /** A handle resumed `task`: its step begins. */
  stepStart(task: object): void;
  /** `task`'s step ended: it suspended, or it is done. */
  stepEnd(task: object): void;
  /** `future` is what `what` (e.g. "sleep") waits on. */
  label(future: object, what: string, detail: unknown): void;
  /**
   * A coroutine object named `name` (e.g. "Queue.get"), of `self`, started
   * in the running task; its body returned `result` (a future it waits on,
   * or a promise while it runs).
   */
  coroutine(name: string, self: unknown, result: unknown): void;
  /** `future` is a waiter line's future; the line belongs to `owner`. */
  parked(future: object, owner: object): void;
  /** `future` (on a loop) stands for the executor job `job`. */
  executorFuture(future: object, job: object): void;
  /** An executor job was submitted to its pool. */
  jobSubmitted(job: object): void;
  /** An executor job was sent to the Worker `worker`. */
  jobSent(job: object, worker: object): void;
  /** An executor job ended; `settle` hands its outcome to its future. */
  jobFinished(job: object, failed: boolean, settle: () => void): void;
  /** An executor job was cancelled (dropped, or its Worker terminated). */
  jobCancelled(job: object): void;
}

/** The recorder, while a trace is recorded; null otherwise. */
export let tracer: TraceHooks | null = null;

/** Installs the recorder (null: tracing off). */
export function setTracer(hooks: TraceHooks | null): void {
  tracer = hooks;
}
