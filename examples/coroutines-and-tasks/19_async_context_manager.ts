import { run, sleep } from "../../mod.ts";
import { print } from "../_print.ts";

// 定义异步上下文管理器
class AsyncContextManager {
  // 进入异步上下文管理器
  async enter(): Promise<this> {
    // 报告消息
    print(">进入上下文管理器");
    // 暂停一段时间
    await sleep(0.5);
    return this;
  }

  // 退出异步上下文管理器
  async [Symbol.asyncDispose](): Promise<void> {
    // 报告消息
    print(">退出上下文管理器");
    // 暂停一段时间
    await sleep(0.5);
  }
}

// 定义一个简单的协程
async function customCoroutine() {
  // 创建并使用异步上下文管理器
  await using _manager = await new AsyncContextManager().enter();
  // 输出当前状态
  print("在上下文管理器内部");
}

// 启动异步程序
await run(customCoroutine);
