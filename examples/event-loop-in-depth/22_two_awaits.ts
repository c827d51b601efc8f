import { ensureFuture, perfCounter, run, sleep } from "../../mod.ts";
import { print } from "../_print.ts";

async function taskFunc(): Promise<void> {
  await sleep(1);
}

async function main(): Promise<void> {
  // 两者是一样的
  await taskFunc();
  await ensureFuture(taskFunc);
}

const start = perfCounter();
await run(main);
print(`总用时:${(perfCounter() - start).toFixed(1)}`); // 总用时:2.0
// 两个await是串行的: 只有第一个await结束了,才会执行第二个await
