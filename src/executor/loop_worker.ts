/**
 * The entry module of a `WorkerLoop`'s Worker: an event loop that runs
 * forever and runs what the starting thread sends it.
 *
 * @module
 */
import { newEventLoop, setEventLoop } from "../events.ts";
import { gather } from "../tasks.ts";
import { Channel, READY, STOP, STOPPED } from "./_remote.ts";
import { _setParentLoop } from "./worker_loop.ts";

interface WorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;

const loop = newEventLoop();
setEventLoop(loop);
const channel = new Channel(
  (message, transfer) => scope.postMessage(message, transfer),
  () => loop.isClosed() ? null : loop,
  "the WorkerLoop's Worker",
);
_setParentLoop({
  runCoroutineThreadsafe: (fn, ...args) =>
    channel.call("parentLoop().runCoroutineThreadsafe()", fn, args),
  callSoonThreadsafe: (fn, ...args) =>
    channel.soon("parentLoop().callSoonThreadsafe()", fn, args),
});

scope.onmessage = (event: MessageEvent) => {
  const message = event.data as unknown[];
  if (message[0] === STOP) loop.stop();
  else channel.receive(message);
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
