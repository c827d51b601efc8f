import { run, sleep } from "../../mod.ts";
import { print } from "../_print.ts";

async function fetchData(item: number) {
  // 模拟异步数据获取操作
  await sleep(1); // 模拟异步等待
  return `Data for ${item}`;
}

async function main() {
  // 创建一个包含可等待对象的列表
  // (coroutine functions: calling fetchData(item) here would start all five)
  const awaitables = [...Array(5).keys()].map((item) => () => fetchData(item));

  // 使用 await 推导式构建列表
  const results = [];
  for (const x of awaitables) results.push(await x());

  // 打印结果
  print(results);
}

// 运行主函数
await run(main);
