import { gather, getEventLoop, sleep } from "../../mod.ts";
import { print } from "../_print.ts";

async function first() {
  print("first函数调用开始,下面将会等待3秒模拟函数运行完毕");
  await sleep(3);
  print("first函数执行完毕");
}

async function last() {
  print("last函数调用开始");
  await sleep(2);
  print("last函数执行完毕");
}

async function func(delay: number) {
  print("开始异步同时执行的函数+延迟: " + String(delay));
  await sleep(delay);
  print("--异步函数执行完毕+延迟: " + String(delay));
}

async function main() {
  await first(); // 这里先调用first()函数,并且等它执行完了才会开始
  await gather(
    () => func(1),
    () => func(2),
    () => func(3),
  );
  await last();
}

// 上面所谓的高阶层API用法最后一行asyncio.run(main())和下面使用低阶层API实现效果是一样的
const loop = getEventLoop();
const task = loop.createTask(main);
await loop.runUntilComplete(task);
