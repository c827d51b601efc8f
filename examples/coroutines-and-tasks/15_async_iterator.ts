import { run } from "../../mod.ts";
import { print } from "../_print.ts";

// 定义一个异步迭代器
class AsyncIterator {
  counter: number;

  // 构造函数,初始化一些状态
  constructor() {
    this.counter = 0;
  }

  // 实现迭代器协议的 __aiter__方法
  [Symbol.asyncIterator]() {
    return this;
  }

  // 实现异步的 __anext__ 方法
  // deno-lint-ignore require-await
  async next(): Promise<IteratorResult<number>> {
    // 如果没有更多项目,抛出StopAsyncIteration异常
    // (in TypeScript the iterator ends by returning { done: true })
    if (this.counter >= 10) {
      return { done: true, value: undefined };
    }
    // 增加计数器
    this.counter += 1;
    // 返回当前计数器值
    return { done: false, value: this.counter };
  }
}

async function main() {
  // 遍历异步迭代器
  for await (const result of new AsyncIterator()) {
    print(result);
  }
}

// 启动异步任务
await run(main);
