/**
 * The entry module of a `WorkerLoop`'s Worker: an event loop that runs
 * forever and runs what the starting thread sends it.
 *
 * @module
 */
import { newEventLoop } from "../base_events.ts";
import { internal, setEventLoop } from "../events.ts";
import { gather } from "../tasks.ts";
import { Channel, LOOP_CRASHED, READY, STOP, STOPPED } from "./_channel.ts";
import { serializeError } from "./_protocol.ts";
import { answerTaskTree } from "../tools.ts";
import { inspectLoop } from "../_inspect.ts";
import { setParentLoop, TREE, TREE_REPLY } from "./worker_loop.ts";

interface WorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent) => void) | null;
  close(): void;
}
const scope = globalThis as unknown as WorkerScope;

const loop = newEventLoop();
setEventLoop(loop);
const channel = new Channel(
  (message, transfer) => scope.postMessage(message, transfer),
  () => loop.isClosed() ? null : loop,
  "the WorkerLoop's Worker",
  "the thread that started the WorkerLoop",
);

// An error nobody catches ends this Worker, as an uncaught exception ends
// a Python thread: the starting thread fails what was pending with it.
function crash(event: Event, error: unknown): void {
  event.preventDefault();
  scope.postMessage([LOOP_CRASHED, serializeError(error)]);
  scope.close();
}
addEventListener("error", (event) => crash(event, event.error));
addEventListener("unhandledrejection", (event) => crash(event, event.reason));
setParentLoop({
  runCoroutineThreadsafe: (fn, ...args) =>
    channel.call("parentLoop().runCoroutineThreadsafe()", fn, args),
  callSoonThreadsafe: (fn, ...args) =>
    channel.soon("parentLoop().callSoonThreadsafe()", fn, args),
});

scope.onmessage = (event: MessageEvent) => {
  const message = event.data as unknown[];
  if (message[0] === STOP) loop.stop();
  else if (message[0] === TREE) {
    // The starting thread asks what this loop's tasks are doing (and is
    // likely to ask again: from now on, how long each waits is recorded).
    const [, id, name, timeout] = message as [string, number, string, number];
    inspectLoop(internal(loop), true);
    void answerTaskTree(loop, timeout * 0.8, name).then((tree) =>
      scope.postMessage([TREE_REPLY, id, tree])
    );
  } else channel.receive(message);
};

scope.postMessage([READY]);
await loop.runForever();
// Stopped: finish the way asyncio.run() does.
const tasks = channel.cancelLocalTasks();
if (tasks.length > 0) {
  await loop.runUntilComplete(() =>
    gather(...tasks, { returnExceptions: true })
  );
}
await loop.runUntilComplete(() => loop.shutdownDefaultExecutor());
loop.close();
channel.close(null);
scope.postMessage([STOPPED]);
