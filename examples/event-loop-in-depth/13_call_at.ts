import {
  type AbstractEventLoop,
  blockingSleep,
  getEventLoop,
  sleep,
} from "../../mod.ts";
import { print } from "../_print.ts";

/*
 * 除了callSoon瞬间执行,和callLater延迟执行之外,还有一个callAt在指定时间执行。
 * 实现这个目的的循环依赖于一个单调时钟,而不是墙上的时钟时间,以确保now时间绝对不会逆转。
 * 要为一个调度回调选择时间,必须使用循环的time方法从这个时钟的内部开始
 */

function callback(cb: string, loop: AbstractEventLoop): void {
  print(`callback ${cb} invoked at ${(loop.time() - loopStart).toFixed(1)}`);
}

async function main(loop: AbstractEventLoop): Promise<void> {
  const now = loop.time();
  print("clock time:", (Date.now() / 1000 - clockStart).toFixed(1));
  print("loop time:", (now - loopStart).toFixed(1));
  print("register callback");
  // 表示在当前时间(now = loop.time())之后的0.2s执行,个人觉得类似于callLater
  loop.callAt(now + 0.2, callback, "call_at", loop);
  blockingSleep(1);
  print("是先打印我呢?还是先执行call_at或者call_sonn呢");
  await sleep(1);
}

const eventLoop = getEventLoop();
// 为了让输出固定,时间都打印相对于开始时的秒数
const clockStart = Date.now() / 1000;
const loopStart = eventLoop.time();
try {
  await eventLoop.runUntilComplete(() => main(eventLoop));
} finally {
  eventLoop.close();
}
/*
clock time: 0.0
loop time: 0.0
register callback
是先打印我呢?还是先执行call_at或者call_sonn呢
callback call_at invoked at 1.0
*/
// 所以这和callLater也是类似的,都是在遇到io阻塞之后才会执行
