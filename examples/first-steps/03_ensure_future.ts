import { ensureFuture, getEventLoop } from "../../mod.ts";

// 定义一个可以异步调用的函数,其类型为coroutine
async function func1() {
  // pass
}

if (import.meta.main) {
  const loop = getEventLoop(); // 定义一个用来循环异步函数的loop对象
  const task = ensureFuture(func1); // 创建一个调用异步函数的任务,task类型为future
  // const task = loop.createTask(func1);  // 使用loop的.create_task()创建任务,效果一样
  await loop.runUntilComplete(task); // 开始在loop循环中执行异步函数,直到该函数运行完毕
}
