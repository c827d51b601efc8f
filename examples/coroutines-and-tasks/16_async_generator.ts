import { run, sleep } from "../../mod.ts";
import { print } from "../_print.ts";

// 定义一个异步生成器
async function* asyncGenerator() {
  for (let i = 0; i < 10; i++) {
    // 暂停并睡眠一会儿
    await sleep(1);
    // 向调用者产生一个值
    yield i;
  }
}

// 异步运行的入口点
async function main() {
  // 异步迭代生成器并打印结果
  for await (const result of asyncGenerator()) {
    print(result);
  }

  // 使用列表推导式收集所有结果
  const results = await Array.fromAsync(asyncGenerator());
  print(results);
}

await run(main);
