import { type AbstractEventLoop, getEventLoop } from "../../mod.ts";
import { print } from "../_print.ts";

/*
 * 任务是与事件循环交互的主要途径之一。
 * 任务可以包装协程,并跟踪协程何时完成。
 * 由于任务是Future的子类,所以其他协程可以等待任务,而且每个任务可以有一个结果,在它完成时可以获取这些结果
 */

// 启动一个任务,可以使用createTask函数创建一个Task实例。
// 只要循环还在运行而且协程没有返回,createTask得到的任务便会作为事件循环管理的并发操作的一部分运行
// deno-lint-ignore require-await
async function taskFunc(): Promise<string> {
  print("in task func");
  return "the result";
}

async function main(loop: AbstractEventLoop): Promise<void> {
  print("creating task");
  // 除了使用loop.createTask,我们还可以使用ensureFuture
  // 对于传入一个协程函数的话,ensureFuture还是调用了loop.createTask
  const task = loop.createTask(taskFunc);
  print(`wait for ${task}`);
  const returnValue = await task;
  print(`task completed ${task}`);
  print(`return value ${returnValue}`);
}

const loop = getEventLoop();
await loop.runUntilComplete(() => main(loop));
/*
creating task
wait for <Task pending name='Task-2' coro=<taskFunc()>>
in task func
task completed <Task finished name='Task-2' coro=<taskFunc()> result='the result'>
return value the result
*/
// 在我们还没有await驱动任务执行的时候,是Task pending
// 当await之后,已处于finished状态
