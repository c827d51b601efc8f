import { getEventLoop } from "../../mod.ts";
import { print } from "../_print.ts";

// deno-lint-ignore require-await
async function coroutine(): Promise<void> {
  print(123);
}

const loop = getEventLoop();
// 如何创建一个任务呢?
const task = loop.createTask(coroutine);
await loop.runUntilComplete(task);
/*
123
*/
