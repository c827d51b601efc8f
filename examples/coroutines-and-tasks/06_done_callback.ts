import { createTask, run, sleep, type Task } from "../../mod.ts";
import { print } from "../_print.ts";

// 异步函数
async function myCoroutine() {
  print("开始任务");
  await sleep(1);
  print("任务完成");
  return "任务完成";
}

// 回调函数
function myCallback(task: Task<string>) {
  print("回调函数被调用");
  const result = task.result(); // 获取任务的返回结果
  print(`任务的返回结果是: ${result}`);
}

async function main() {
  // 创建任务
  const task = createTask(myCoroutine);

  // 注册回调函数
  task.addDoneCallback(myCallback);

  // 等待任务完成
  await task;
}

// 运行主函数
await run(main);
