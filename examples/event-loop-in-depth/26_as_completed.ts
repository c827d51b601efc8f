import { asCompleted, perfCounter, run, sleep } from "../../mod.ts";
import { print } from "../_print.ts";

/*
 * asCompleted函数是一个生成器,会管理指定的一个协程列表,并生成它们的结果,每个协程结束运行时一次生成一个结果。
 * 与wait类似,asCompleted不能保证顺序,从名字也能看出来,哪个先完成哪个先返回
 */

async function taskFunc(n: number): Promise<string> {
  await sleep(n);
  return `task${n}`;
}

async function main(): Promise<void> {
  // 同样需要传递一个列表
  const completed = asCompleted([
    () => taskFunc(2),
    () => taskFunc(1),
    () => taskFunc(3),
    () => taskFunc(4),
  ]);
  // 遍历每一个task,进行await,哪个先完成,就先返回
  for (const task of completed) {
    const res = await task;
    print(res);
  }
}

const start = perfCounter();
await run(main);
print(`总用时:${(perfCounter() - start).toFixed(1)}`);
/*
task1
task2
task3
task4
总用时:4.0
*/
