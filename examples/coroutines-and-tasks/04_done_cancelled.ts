import { CancelledError, createTask, run, sleep } from "../../mod.ts";
import { print } from "../_print.ts";

// 异步任务1: 打印任务开始、等待1秒并打印任务完成
async function taskCompleted() {
  print("任务1正在执行");
  await sleep(1); // 模拟异步操作,暂停1秒
  print("任务1完成");
}

// 异步任务2: 打印任务开始、等待2秒并打印任务完成
async function taskCancelled() {
  print("任务2正在执行");
  await sleep(2); // 模拟异步操作,暂停2秒
  print("任务2完成");
}

// 主异步函数
async function main() {
  // 创建并启动两个异步任务
  const task1 = createTask(taskCompleted); // 创建任务1
  const task2 = createTask(taskCancelled); // 创建任务2

  // 等待task1任务完成
  await task1;

  // 取消task2任务
  task2.cancel();

  // 异常处理: 捕获任务2被取消的异常
  try {
    await task2; // 尝试等待task2完成
  } catch (e) {
    // 如果task2被取消
    if (!(e instanceof CancelledError)) throw e;
  }

  // 检查task1是否完成
  if (task1.done()) {
    print("任务1已完成");
  }

  // 检查task2是否被取消
  if (task2.cancelled()) {
    print("任务2已取消");
  }
}

// 运行主异步函数
await run(main); // 启动事件循环,执行main函数
