// clock: real
import { run, WorkerLoop, workerModule } from "../../mod.ts";
import { ctime, print } from "../_print.ts";
import { queue } from "../_thread_jobs.ts";
import type * as Jobs from "../_thread_jobs.ts";

// doSleepAsync(x, msg)(Python的async def do_sleep)作为任务在Worker的事件循环上运行(见_thread_jobs.ts):
// await sleep(x)之后,用parentLoop().callSoonThreadsafe(main.queuePut, msg)
// 把msg放进主线程的queue。Python把queue作为参数传给do_sleep;
// 这里的Queue属于主线程的事件循环,传不到Worker里,所以由主线程自己的queuePut来放。
// doSleepAsync用到了import进来的sleep和parentLoop,所以按引用(by reference)传
const jobs = workerModule<typeof Jobs>(
  new URL("../_thread_jobs.ts", import.meta.url),
);

// Python的主线程用阻塞的queue.get()等消息;这里主线程要有一个运行中的事件循环,
// Worker送回来的queuePut就在这个循环上运行
async function main(): Promise<void> {
  // 启动一个Worker,里面是一个在后台永远运行的事件循环
  // (Python: new_event_loop(),再开一个线程在里面run_forever())
  const newLoop = await WorkerLoop.start();

  print(ctime());

  // 动态添加两个协程
  // 这种方法,在主线程是异步的
  newLoop.runCoroutineThreadsafe(jobs.doSleepAsync, 6, "第一个");
  newLoop.runCoroutineThreadsafe(jobs.doSleepAsync, 3, "第二个");

  // 原文是while True,永远等下去;这里收到两条消息就停下后台的事件循环,让程序结束
  for (let i = 0; i < 2; i++) {
    const msg = await queue.get();
    print(`${msg} 协程运行完..`);
    print(ctime());
  }

  // 停下Worker里的事件循环,并等Worker结束(Python: new_loop.stop, t.join())
  await newLoop.stop();
}

await run(main);
/*
Thu May 31 22:23:35 2018
第二个 协程运行完..
Thu May 31 22:23:38 2018
第一个 协程运行完..
Thu May 31 22:23:41 2018
*/
// 由于是异步的,所以总共耗时max(6, 3)=6秒
