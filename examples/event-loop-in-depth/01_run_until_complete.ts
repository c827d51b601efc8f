import { getEventLoop } from "../../mod.ts";
import { print } from "../_print.ts";

/*
 * 协程是一个专门设计用来实现并发操作的语言构造。
 * 调用协程会创建一个协程对象,协程可以使用await关键字(并提供另一个协程)暂停执行。
 * 暂停时,这个协程的状态会保留,使得下一次被唤醒时可以从暂停的地方恢复执行
 */

// 使用async function可以直接定义一个协程
// deno-lint-ignore require-await
async function coroutine(): Promise<void> {
  print("in coroutine");
}

// 创建事件循环
const loop = getEventLoop();
try {
  print("start coroutine");
  // 协程是无法直接运行的,必须要扔到事件循环里,让事件循环驱动运行
  // (JS的async函数一调用就开始执行,所以交给事件循环的是协程函数本身)
  const coro = coroutine;
  print("entering event loop");
  // 必须扔到事件循环里,这个方法的含义从名字也能看出来,直到协程运行完成
  await loop.runUntilComplete(coro);
} finally {
  print("closing event loop");
  // 关闭事件循环
  loop.close();
}
/*
start coroutine
entering event loop
in coroutine
closing event loop
*/
// 第一步是得到事件循环的引用。
// runUntilComplete方法启动协程,协程退出时这个方法会停止循环
