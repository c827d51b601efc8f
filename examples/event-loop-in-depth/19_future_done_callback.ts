import { Future, getEventLoop } from "../../mod.ts";
import { print } from "../_print.ts";

// 除了做法与协程类似,Future也可以调用回调,回调的顺序按照其注册的顺序调用

function callback(future: Future<string>, n: number): void {
  print(`future result: ${future.result()} n:${n}`);
}

// deno-lint-ignore require-await
async function registerCallback(future: Future<string>): Promise<void> {
  print("register callback on futures");
  // 设置一个回调,触发回调的时候,会自动将future本身作为第一个参数传递给回调函数
  // 回调什么时候执行,还是那句话,当future执行setResult的时候执行
  // (functools.partial(callback, n=1)在这里是一个闭包)
  future.addDoneCallback((fut) => callback(fut, 1));
  future.addDoneCallback((fut) => callback(fut, 2));
}

async function main(future: Future<string>): Promise<void> {
  // 等待回调注册完成
  await registerCallback(future);
  print("setting result of future");
  future.setResult("the result");
}

const eventLoop = getEventLoop();
const future = new Future<string>();
await eventLoop.runUntilComplete(() => main(future));
/*
register callback on futures
setting result of future
future result: the result n:1
future result: the result n:2
*/
