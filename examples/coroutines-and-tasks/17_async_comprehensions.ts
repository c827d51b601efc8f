import { run, sleep } from "../../mod.ts";
import { print } from "../_print.ts";

// 异步函数,模拟异步操作
async function getData() {
  await sleep(1); // 模拟异步等待
  return [1, 2, 3, 4, 5];
}

// 异步推导式创建列表
async function asyncListComprehension() {
  const asyncData = await getData();
  const asyncList = asyncData.map((x) => x * 2);
  return asyncList;
}

// 异步推导式创建集合
async function asyncSetComprehension() {
  const asyncData = await getData();
  const asyncSet = new Set(asyncData.map((x) => x * 2));
  return asyncSet;
}

// 异步推导式创建字典
async function asyncDictComprehension() {
  const asyncData = await getData();
  const asyncDict = new Map(asyncData.map((x) => [x, x * 2]));
  return asyncDict;
}

// 运行异步推导式
async function main() {
  const listResult = await asyncListComprehension();
  const setResult = await asyncSetComprehension();
  const dictResult = await asyncDictComprehension();

  print("Async List:", listResult);
  print("Async Set:", setResult);
  print("Async Dict:", dictResult);
}

// 启动事件循环
await run(main);
