import { ensureFuture, type Future, getEventLoop, wait } from "../../mod.ts";
import { print } from "../_print.ts";

const resultList: number[] = [];

// deno-lint-ignore require-await
async function fun(v: number) {
  return v + 1;
}

function callbackFun(future: Future<number>) {
  resultList.push(future.result());
}

const taskList: Future<number>[] = [];

for (let i = 1; i < 5; i++) {
  const cor = () => fun(i);
  const task = ensureFuture(cor);
  task.addDoneCallback(callbackFun);
  taskList.push(task);
}

const loop = getEventLoop();
await loop.runUntilComplete(() => wait(taskList));
print(resultList);
