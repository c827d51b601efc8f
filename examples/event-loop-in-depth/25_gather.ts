import { gather, perfCounter, run, sleep } from "../../mod.ts";
import { print, pyRepr } from "../_print.ts";

async function taskFunc(n: number): Promise<string> {
  await sleep(1);
  return `task${n}`;
}

async function main(): Promise<void> {
  // gather只有一个返回值,直接返回已完成的任务的返回值,不是future,也就是说返回的是future.result()
  // 但是传递的时候就不要传递列表,而是需要传递一个个的任务,因此我们这里要将列表打散
  const finished = await gather(...[1, 2, 3, 4].map((n) => () => taskFunc(n)));
  print(`results: ${pyRepr(finished.map((res) => res))}`);
}

const start = perfCounter();
await run(main);
print(`总用时:${(perfCounter() - start).toFixed(1)}`);
/*
results: ['task1', 'task2', 'task3', 'task4']
总用时:1.0
*/
// 使用gather是可以保证顺序的,顺序就是我们添加任务的顺序
