import {
  ensureFuture,
  getEventLoop,
  perfCounter,
  sleep,
  wait,
} from "../../mod.ts";
import { print } from "../_print.ts";

// time.time() -> perfCounter(), which follows the virtual clock when it is on
const now = () => perfCounter();

async function doSomeWork(x: number) {
  print("Waiting: ", x);

  await sleep(x);
  return `Done after ${x}s`;
}

const start = now();

// coroutine functions: calling doSomeWork(1) here would already start it
const coroutine1 = () => doSomeWork(1);
const coroutine2 = () => doSomeWork(2);
const coroutine3 = () => doSomeWork(4);

const tasks = [
  ensureFuture(coroutine1),
  ensureFuture(coroutine2),
  ensureFuture(coroutine3),
];

const loop = getEventLoop();
await loop.runUntilComplete(() => wait(tasks));

for (const task of tasks) {
  print("Task ret: ", task.result());
}

print("TIME: ", (now() - start).toFixed(1));
