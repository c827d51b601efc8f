import {
  CancelledError,
  createTask,
  type Future,
  run,
  shield,
  sleep,
} from "../../mod.ts";
import { print, pyStr } from "../_print.ts";

// 定义一个简单的异步任务,模拟处理逻辑
async function simpleTask(n: number) {
  await sleep(1);
  return n;
}

// 定义一个异步任务,稍后取消指定任务
async function cancelTask(task: Future<unknown>) {
  await sleep(0.2);
  const wasCancelled = task.cancel();
  print(`已取消: ${pyStr(wasCancelled)}`);
}

// 主协程,调度其他任务
async function main() {
  const coro = () => simpleTask(1);
  const task = createTask(coro);
  const shielded = shield(task);

  // 创建取消任务的协程
  createTask(() => cancelTask(shielded));

  try {
    const result = await shielded;
    print(`>获得: ${result}`);
  } catch (e) {
    if (!(e instanceof CancelledError)) throw e;
    print("任务已被取消");
  }

  await sleep(1);

  print(`保护任务: ${shielded}`);
  print(`任务: ${task}`);
}

// 启动主协程
await run(main);
