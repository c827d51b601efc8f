import {
  type AbstractEventLoop,
  blockingSleep,
  getEventLoop,
  sleep,
} from "../../mod.ts";
import { print } from "../_print.ts";

function callback(cb: string, n: string): void {
  print(`${cb} ${n}`);
}

async function main(loop: AbstractEventLoop): Promise<void> {
  print("register callback");
  loop.callLater(2, callback, "call_later", "0.2s");
  print("call_later注册完毕");
  await sleep(1);
  blockingSleep(1);
  print("call_later指定的回调能执行吗");
  print("call_later指定的回调能执行吗");
  print("call_later指定的回调能执行吗");
  print("能,因为时间已经到了");
}

const eventLoop = getEventLoop();
try {
  await eventLoop.runUntilComplete(() => main(eventLoop));
} finally {
  eventLoop.close();
}
/*
register callback
call_later注册完毕
call_later指定的回调能执行吗
call_later指定的回调能执行吗
call_later指定的回调能执行吗
能,因为时间已经到了
call_later 0.2s
*/
// 尽管一直没有出现异步io,但是当代码全部执行完之后,callLater指定的时间已经到了
// 所以会在最后执行它
