import { type Future, getEventLoop, perfCounter } from "../../mod.ts";
import { print } from "../_print.ts";

// time.time() -> perfCounter(), which follows the virtual clock when it is on
const now = () => perfCounter();

// deno-lint-ignore require-await
async function doSomeWork(x: number) {
  print("Waiting: ", x);
  return `Done after ${x}s`;
}

function callback(future: Future<string>) {
  print("Callback: ", future.result());
}

const start = now();

const coroutine = () => doSomeWork(2);
const loop = getEventLoop();
const task = loop.createTask(coroutine);
// const task = ensureFuture(coroutine);    // 貌似和上面用loop创建任务效果一样
task.addDoneCallback(callback);
await loop.runUntilComplete(task);

print("TIME: ", (now() - start).toFixed(1));
