import { createTask, run } from "../../mod.ts";
import { print, pyStr } from "../_print.ts";

// 定义一个协程,模拟异常
// deno-lint-ignore require-await
async function faultyCoroutine() {
  throw new RangeError("协程中发生了错误。");
}

// 主程序
async function main() {
  // 创建协程任务
  const task = createTask(faultyCoroutine);

  // 等待任务执行完成,捕获异常
  try {
    await task;
  } catch {
    // 获取任务中的异常
    const exception = task.exception();
    print(`任务异常: ${pyStr(exception)}`);
  }
}

// 运行事件循环
await run(main);
