/**
 * Python's asyncio for Deno: an event loop, futures and tasks with real
 * cancellation, `gather`/`wait`/`waitFor`/`asCompleted`/`shield`,
 * timeouts and task groups, with Python's semantics and TypeScript idioms
 * (`await using`, `for await`, `AbortSignal`).
 *
 * Where Python takes a coroutine object to start it (`run`, `createTask`,
 * `runUntilComplete`, `ensureFuture`), pass a coroutine function:
 * `createTask(() => work(1))`.
 *
 * @example
 * ```ts
 * import { gather, run, sleep } from "@aio/asyncio";
 *
 * async function func(delay: number) {
 *   console.log(`start ${delay}`);
 *   await sleep(delay / 100);
 *   console.log(`done ${delay}`);
 * }
 *
 * await run(async () => {
 *   await gather(() => func(1), () => func(2), () => func(3));
 * });
 * ```
 *
 * @module
 */
export {
  BrokenBarrierError,
  CancelledError,
  ExceptionGroup,
  IncompleteReadError,
  InvalidStateError,
  KeyboardInterrupt,
  LimitOverrunError,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  TimeoutError,
  WorkerCrashedError,
} from "./src/errors.ts";
export {
  blockingSleep,
  type Clock,
  defaultClock,
  perfCounter,
  RealClock,
  VirtualClock,
} from "./src/clock.ts";
export {
  type AbstractEventLoop,
  AbstractEventLoopPolicy,
  DefaultEventLoopPolicy,
  type EventLoopOptions,
  type ExceptionContext,
  type ExceptionHandler,
  type Executor,
  getEventLoop,
  getEventLoopPolicy,
  getRunningLoop,
  Handle,
  setEventLoop,
  setEventLoopPolicy,
  TimerHandle,
} from "./src/events.ts";
export { EventLoop, newEventLoop } from "./src/base_events.ts";
export {
  type DoneCallback,
  Future,
  futureAddToAwaitedBy,
  futureDiscardFromAwaitedBy,
  type FutureOptions,
  isFuture,
  wrapFuture,
} from "./src/futures.ts";
export {
  type CallFrame,
  type CallGraphOptions,
  captureCallGraph,
  formatCallGraph,
  FrameCallGraphEntry,
  FutureCallGraph,
  printCallGraph,
} from "./src/graph.ts";
export {
  ALL_COMPLETED,
  allTasks,
  AsCompleted,
  asCompleted,
  type AwaitableLike,
  type AwaitedOf,
  type CoroutineFunction,
  createTask,
  currentTask,
  ensureFuture,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  gather,
  GatheringFuture,
  type GatherOptions,
  type GatherResults,
  type GatherResultsOrErrors,
  type ReturnWhen,
  shield,
  sleep,
  Task,
  type TaskFactory,
  type TaskOptions,
  wait,
  type WaitOptions,
} from "./src/tasks.ts";
export { Timeout, timeout, timeoutAt, waitFor } from "./src/timeouts.ts";
export { TaskGroup, taskGroup } from "./src/taskgroups.ts";
export { Coroutine, coroutine, isCoroutine } from "./src/coroutines.ts";
export { Context, ContextVar, copyContext, Token } from "./src/contextvars.ts";
export {
  Barrier,
  BoundedSemaphore,
  Condition,
  Event,
  Lock,
  type LockStatistics,
  Releaser,
  Semaphore,
  type SemaphoreStatistics,
  type WaitingStatistics,
} from "./src/locks.ts";
export {
  LifoQueue,
  PriorityQueue,
  Queue,
  type QueueStatistics,
} from "./src/queues.ts";
export { run, Runner, type RunOptions } from "./src/runners.ts";
export { type AsyncContext, asyncContextManager } from "./src/contextlib.ts";
export { runCoroutineThreadsafe, toThread } from "./src/workers/threads.ts";
export {
  ThreadPoolExecutor,
  type ThreadPoolExecutorOptions,
  type ThreadPoolExecutorStatistics,
} from "./src/workers/pool.ts";
export { ConcurrentFuture } from "./src/workers/concurrent.ts";
export {
  transfer,
  type WorkerCallable,
  WorkerFunction,
  workerFunction,
  type WorkerModule,
  workerModule,
} from "./src/workers/functions.ts";
export {
  parentLoop,
  type ThreadLoop,
  WorkerLoop,
} from "./src/workers/worker_loop.ts";
export {
  type ClientConnected,
  type ClientTls,
  openConnection,
  type OpenConnectionOptions,
  openUnixConnection,
  type OpenUnixConnectionOptions,
  Server,
  type ServerSocket,
  type ServerTls,
  startServer,
  type StartServerOptions,
  type StartTlsOptions,
  startUnixServer,
  StreamReader,
  type StreamReaderOptions,
  type StreamReaderStatistics,
  StreamWriter,
} from "./src/streams.ts";
export {
  createSubprocessExec,
  createSubprocessShell,
  DEVNULL,
  PIPE,
  Process,
  STDOUT,
  type SubprocessOptions,
} from "./src/subprocess.ts";
export {
  type BufferedProtocol,
  type Resource,
  Transport,
  type TransportOptions,
} from "./src/transports.ts";
