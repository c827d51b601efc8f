import { type AbstractEventLoop, getEventLoop, sleep } from "../../mod.ts";
import { print } from "../_print.ts";

function callback(cb: string, n: string): void {
  print(`${cb} ${n}`);
}

async function main(loop: AbstractEventLoop): Promise<void> {
  print("register callback");
  loop.callLater(2, callback, "call_later", "0.2s");
  print("call_later注册完毕");
  await sleep(1);
  print("call_later指定的回调能执行吗");
  print("call_later指定的回调能执行吗");
  print("call_later指定的回调能执行吗");
  print("不能");
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
不能
*/
// 我们看到callLater指定的回调没有执行程序就退出了
// 这是因为main里面的代码全部执行完,之后callLater指定的时间还没有到
// 所以直接退出了
