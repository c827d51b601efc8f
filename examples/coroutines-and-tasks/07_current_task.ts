// 从当前协程中获取当前任务
import { currentTask, run } from "../../mod.ts";
import { print } from "../_print.ts";

// 定义主协程
// deno-lint-ignore require-await
async function main() {
  // 输出开始消息
  print("主协程已启动");
  // 获取当前任务
  const task = currentTask();
  // 打印任务详情
  print(task);
}

// 运行主协程
await run(main);
