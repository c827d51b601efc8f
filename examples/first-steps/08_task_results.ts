import { ensureFuture, type Future, getEventLoop, wait } from "../../mod.ts";
import { print } from "../_print.ts";

// deno-lint-ignore require-await
async function fun(v: number) {
  return v + 1;
}

const taskList: Future<number>[] = [];

for (let i = 1; i < 5; i++) {
  const cor = () => fun(i);
  const task = ensureFuture(cor);
  taskList.push(task);
}

const loop = getEventLoop();
await loop.runUntilComplete(() => wait(taskList));
// task_list中的每个任务执行完成后可以调用它的.result()方法来获取结果
for (const task of taskList) {
  print("每个task执行完的结果:", task.result());
}
