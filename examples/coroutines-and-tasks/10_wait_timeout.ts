import { createTask, run, sleep, wait } from "../../mod.ts";
import { print } from "../_print.ts";

// fixed instead of random.uniform(0, 2) so the output is deterministic
const DURATIONS = [0.3, 1.5, 0.8, 1.9, 0.5, 1.2, 0.1, 1.7, 0.6, 1.4];

// 在新任务中执行的协程
async function taskCoro(arg: number) {
  // 模拟不同的执行时间
  const value = DURATIONS[arg]; // 保证每个任务的执行时间为0到2秒
  await sleep(value);
  print(`> 任务 ${arg} 完成,执行时间 ${value.toFixed(2)} 秒`);
}

// 主协程
async function main() {
  // 创建多个任务
  const tasks = [...Array(10).keys()].map((i) => createTask(() => taskCoro(i)));

  // 设置最大等待时间为1秒,超时后返回已完成的任务
  const [done, pending] = await wait(tasks, { timeout: 1 });

  // 打印结果:已完成的任务和待处理的任务
  print(`已完成的任务数量: ${done.size}`);
  print(`待处理的任务数量: ${pending.size}`);

  // 如果超时后有任务未完成,显示它们的状态
  if (pending.size > 0) {
    print("以下任务未在超时时间内完成:");
    // sorted (a set's order is arbitrary) as in the Python version
    const byIndex = [...pending].sort((a, b) =>
      tasks.indexOf(a) - tasks.indexOf(b)
    );
    for (const task of byIndex) {
      print(`- 任务 ${tasks.indexOf(task)}`);
    }
  }
}

// 启动异步程序
await run(main);
