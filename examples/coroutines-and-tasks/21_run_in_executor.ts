// clock: real
import {
  getRunningLoop,
  run,
  ThreadPoolExecutor,
  workerModule,
} from "../../mod.ts";
import { print } from "../_print.ts";
import type * as Jobs from "../_thread_jobs.ts";

// 一个阻塞的任务(原文只写了task这个名字,这里补上一个)
// 它用到了import进来的blockingSleep和print,所以不能按源码发给Worker,
// 而是按引用(by reference):Worker自己import _thread_jobs.ts,再按名字找到task
const jobs = workerModule<typeof Jobs>(
  new URL("../_thread_jobs.ts", import.meta.url),
);

async function main(): Promise<void> {
  // 获取事件循环
  let loop = getRunningLoop();
  // 在单独的线程中执行函数
  await loop.runInExecutor(null, jobs.task, "默认执行器");

  {
    // 创建线程池(原文是 with ProcessPoolExecutor as exe:,少了括号;
    // 这里只有线程池(Worker),所以用线程池)
    await using exe = new ThreadPoolExecutor();
    // 获取事件循环
    loop = getRunningLoop();
    // 在单独的线程中执行函数
    await loop.runInExecutor(exe, jobs.task, "自己创建的线程池");
    // 线程池自动关闭...
  }
  print("线程池已关闭");
}

await run(main);
/*
默认执行器: 任务开始
默认执行器: 任务完成
自己创建的线程池: 任务开始
自己创建的线程池: 任务完成
线程池已关闭
*/
