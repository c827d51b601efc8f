import {
  type AbstractEventLoop,
  CancelledError,
  getEventLoop,
} from "../../mod.ts";
import { print } from "../_print.ts";

// 通过createTask可以创建对象,那么也可以在任务完成前取消操作

// deno-lint-ignore require-await
async function taskFunc(): Promise<string> {
  print("in task func");
  return "the result";
}

async function main(loop: AbstractEventLoop): Promise<void> {
  print("creating task");
  const task = loop.createTask(taskFunc);
  print("canceling task");
  // 任务创建之后,可以调用cancel函数取消
  task.cancel();
  print(`canceled task: ${task}`);
  try {
    // 任务取消之后再await则会引发CancelledError
    await task;
    print(`task result: ${task.result()}`);
  } catch (e) {
    if (!(e instanceof CancelledError)) throw e;
    print("caught error from canceled task");
  }
}

const eventLoop = getEventLoop();
try {
  await eventLoop.runUntilComplete(() => main(eventLoop));
} finally {
  eventLoop.close();
}
/*
creating task
canceling task
canceled task: <Task cancelling name='Task-2' coro=<taskFunc()>>
caught error from canceled task
*/
