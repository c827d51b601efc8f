import { createTask, FIRST_COMPLETED, run, sleep, wait } from "../../mod.ts";
import { print } from "../_print.ts";

// 模拟一个可能需要不同时间完成的异步任务
async function asyncTask(name: string, duration: number) {
  print(`任务 ${name} 开始,预计耗时 ${duration} 秒`);
  await sleep(duration);
  print(`任务 ${name} 完成`);
  return `结果 ${name}`;
}

// 主函数,用于启动和管理异步任务
async function main() {
  // 创建两个任务,一个快一个慢
  // fixed instead of random.randint(1, 3) and random.randint(4, 6) so the output is deterministic
  const fastTask = createTask(() => asyncTask("任务1", 2), { name: "任务1" });
  const slowTask = createTask(() => asyncTask("任务2", 5), { name: "任务2" });

  // return_when=asyncio.FIRST_COMPLETED表示第一个任务以下代码完成后,会继续后续等待,而不用等待其余任务
  // done和pending都是集合类型(set),包含完成的任务集合和未完成的集合
  const [done, pending] = await wait([fastTask, slowTask], {
    returnWhen: FIRST_COMPLETED,
  });

  // 处理完成的任务
  for (const task of done) {
    // 提取结果
    const result = task.result();
    print(`${task.getName()}的执行结果:${result}`);
  }

  print(`已完成任务数:${done.size}`);

  // 等待剩余的任务完成(如果需要)
  if (pending.size > 0) {
    await wait(pending);
  }
}

// 运行主函数
await run(main);
