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
  // 这里执行完毕,callLater还没有开始
  await sleep(1.5);
  // 1.5 + 1肯定比2大,所以blockingSleep(1)之后callLater里面的指定的时间肯定已经过了
  blockingSleep(1);
  print("就算时间过了,我还是比call_later指定的回调先执行,因为没有异步io阻塞");
  print("就算时间过了,我还是比call_later指定的回调先执行,因为没有异步io阻塞");
  print("就算时间过了,我还是比call_later指定的回调先执行,因为没有异步io阻塞");
  print("就算时间过了,我还是比call_later指定的回调先执行,因为没有异步io阻塞");
  await sleep(0.1);
  print("完了,我上面出现了异步io阻塞,我要比call_later指定的回调后执行了");
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
就算时间过了,我还是比call_later指定的回调先执行,因为没有异步io阻塞
就算时间过了,我还是比call_later指定的回调先执行,因为没有异步io阻塞
就算时间过了,我还是比call_later指定的回调先执行,因为没有异步io阻塞
就算时间过了,我还是比call_later指定的回调先执行,因为没有异步io阻塞
call_later 0.2s
完了,我上面出现了异步io阻塞,我要比call_later指定的回调后执行了
*/
