import {
  CancelledError,
  run,
  sleep,
  TimeoutError,
  waitFor,
} from "../../mod.ts";
import { print } from "../_print.ts";

// 定义异步函数 task_coro,作为协程任务执行
async function taskCoro(_arg: number) {
  // 生成一个1到2之间的随机数
  // fixed instead of 1 + random() so the output is deterministic
  const value = 1.5;
  // 打印接收到的值
  print(`>任务接收到 ${value}`);
  // 异步等待,模拟耗时操作,等待时间由随机数决定
  await sleep(value);
  // 打印任务完成消息
  print(">任务完成");
}

// 定义主协程函数 main
async function main() {
  // 创建协程任务并传入参数1
  const task = () => taskCoro(1);
  // 尝试执行任务并设置超时为0.2秒
  try {
    await waitFor(task, 0.2);
  } catch (e) {
    if (e instanceof TimeoutError) {
      // 超时处理:打印任务取消消息
      print("放弃等待,任务已取消");
    } else if (e instanceof CancelledError) {
      throw e; // Python's `except Exception` does not catch CancelledError
    }
    // 捕获其他可能的异常
  }
}

// 启动异步程序,运行主协程
await run(main);
