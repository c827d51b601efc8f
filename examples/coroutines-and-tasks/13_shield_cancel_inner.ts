import { CancelledError, createTask, run, shield, sleep } from "../../mod.ts";
import { print } from "../_print.ts";

async function coro() {
  print("任务开始");
  await sleep(3);
  print("任务完成");
}

async function main() {
  // 创建异步任务
  const task = createTask(coro);

  // 使用 shield 包装任务,以创建一个不可取消的任务
  const _shielded = shield(task);

  // 取消task
  task.cancel();

  try {
    // 等待任务执行完成
    await task;
  } catch (e) {
    if (!(e instanceof CancelledError)) throw e;
    print("任务被取消");
  }
}

// 启动异步事件循环
await run(main);
