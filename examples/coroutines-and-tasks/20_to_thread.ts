// clock: real
import { createTask, run, sleep, toThread } from "../../mod.ts";
import { print } from "../_print.ts";

// 定义一个阻塞 IO 绑定任务
// (它在Worker里运行,按源码(by source)发送过去:函数的源码在Worker里重新编译,
// 所以它必须自成一体,不能用外面的变量和import,只用console.log和Atomics.wait)
function blockingTask(): void {
  // 报告任务开始
  console.log("任务开始");
  // 模拟阻塞操作:休眠2秒
  // 这里的 Atomics.wait 是阻塞当前线程的操作(blockingSleep,即Python的time.sleep,就是用它实现的)
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
  // 报告任务结束
  console.log("任务完成");
}

// 主协程
async function main(): Promise<void> {
  // 报告主协程正在运行并启动阻塞任务
  print("主协程正在执行阻塞任务");

  // 将阻塞任务封装成协程并通过toThread函数运行
  // toThread 会将阻塞任务分配给一个独立的线程池(Worker)来执行
  // (toThread一调用就开始执行,所以这里拿到的是一个协程函数,由createTask调用)
  const coro = () => toThread(blockingTask);

  // 创建一个 asyncio 任务来执行上述协程
  // createTask 将协程封装为 Task 对象,使其能够在后台执行
  const task = createTask(coro);

  // 主协程继续执行其他事情
  print("主协程正在做其他事情");

  // 使用 await sleep(0) 允许任务被调度
  // 这个操作确保协程任务有机会开始执行,因为 main() 协程的执行会在此处暂停
  await sleep(0); // 让出控制权,确保 task 能被执行

  // 等待任务执行完成
  await task;
}

// 运行异步程序
// run(main) 负责启动整个异步事件循环并执行 main() 协程
await run(main);
/*
主协程正在执行阻塞任务
主协程正在做其他事情
任务开始
任务完成
*/
