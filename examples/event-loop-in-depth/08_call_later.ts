import { type AbstractEventLoop, getEventLoop, sleep } from "../../mod.ts";
import { print } from "../_print.ts";

// 要将回调推迟到将来的某个时间调用,可以使用callLater。这个方法的第一个参数是延迟时间(单位为秒),第二个参数是回调。

function callback(cb: string, n: string): void {
  print(`${cb} ${n}`);
}

async function main(loop: AbstractEventLoop): Promise<void> {
  print("register callback");
  loop.callLater(0.2, callback, "call_later", "0.2s");
  loop.callLater(0.1, callback, "call_later", "0.1s");
  loop.callSoon(callback, "call_soon", "None");
  print("-----------");
  await sleep(0.6);
}

const eventLoop = getEventLoop();
try {
  print("entering event loop");
  await eventLoop.runUntilComplete(() => main(eventLoop));
} finally {
  print("closing event loop");
  eventLoop.close();
}
/*
entering event loop
register callback
-----------
call_soon None
call_later 0.1s
call_later 0.2s
closing event loop
*/
// 我们看到无论是callSoon还是callLater都是在第二个print结束之后才调用
// 说明callLater和callSoon一样,都是在遇到异步io阻塞、比如await sleep之后才会执行
// 但是对于callLater来说,计时是从注册回调的那一刻就已经开始了
// 比如callLater中注册了5s后调用,但是遇见了sleep(4)的时候过去了两秒,那么执行callLater注册的回调只需要再过3s就可以了。
// 但是如果是sleep(2)怎么办?执行callLater注册的回调需要3s,但是sleep异步阻塞只有2s
// 那么程序会继续往下走,直到出现下一个异步io阻塞,如果不是异步io阻塞的话,那么callLater指定的回调也是不会执行的
// 因此:执行回调,是指在遇见异步io阻塞的时候才会执行
// 而callSoon则是只要遇见异步io就会执行,即使遇见异步io时callLater的时间已经到了,执行的先后顺序依旧是callSoon先执行
