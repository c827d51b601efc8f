import { getEventLoop, sleep } from "../../mod.ts";
import { print } from "../_print.ts";

// 定义一个简单的异步函数
async function myCoroutine(name: string) {
  print(`任务 ${name} 开始执行`);
  await sleep(1); // 模拟任务的延时
  print(`任务 ${name} 完成`);
}

// 获取事件循环
const loop = getEventLoop();

print("任务创建之前");

// 创建任务并加入事件循环
const task = loop.createTask(() => myCoroutine("A"));
print("任务创建之后,任务已加入事件循环");

// 运行事件循环,直到任务完成
await loop.runUntilComplete(task);

// 关闭事件循环
loop.close();

print("事件循环已关闭");
