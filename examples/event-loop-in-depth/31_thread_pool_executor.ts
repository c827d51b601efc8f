// clock: real
import {
  getEventLoop,
  perfCounter,
  sleep,
  ThreadPoolExecutor,
  workerModule,
} from "../../mod.ts";
import { print } from "../_print.ts";
import type * as Jobs from "../_thread_jobs.ts";

/*
 * 如果出现了一个同步耗时的任务,我们可以将其扔到线程池里面去运行。
 * 对于协程来说,仍然是单线程的,我们是可以将耗时的任务单独开启一个线程(Worker)来执行的
 */

// foo(n)在Worker里运行:blockingSleep(n)之后打印"foo睡了n秒"。
// Worker和主线程不共享内存,foo又用到了import进来的blockingSleep和print,
// 所以按引用(by reference)传:Worker自己import _thread_jobs.ts,再按名字找到foo
const jobs = workerModule<typeof Jobs>(
  new URL("../_thread_jobs.ts", import.meta.url),
);

async function bar(): Promise<string> {
  // 原文是sleep(3),和foo(3)同时结束,两行谁先打印全凭运气;
  // 这里多睡0.5秒,输出的顺序就固定了
  await sleep(3.5);
  return "bar";
}

async function main(): Promise<void> {
  // 线程池最多装两个任务
  const executor = new ThreadPoolExecutor({ maxWorkers: 2 });
  // loop.runInExecutor表示扔到线程池里面运行,这个过程是瞬间返回的
  loop.runInExecutor(executor, jobs.foo, 3);
  loop.runInExecutor(executor, jobs.foo, 2);
  print("瞬间返回");
  const res = await bar();
  print(res);
}

const loop = getEventLoop();
const start = perfCounter();
await loop.runUntilComplete(main);
print(`总用时:${(perfCounter() - start).toFixed(1)}`); // 总用时:3.0 (原文bar睡3秒)
/*
瞬间返回
foo睡了2秒
foo睡了3秒
bar
总用时:3.5
*/
