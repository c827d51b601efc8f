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
  loop.callLater(0.2, callback, "call_later", "0.2s");
  loop.callLater(0.1, callback, "call_later", "0.1s");
  loop.callSoon(callback, "call_soon", "None");
  // blockingSleep(Python的time.sleep)不是异步io,它是一个同步io
  blockingSleep(1);
  // 当blockingSleep(1)之后callLater和callSoon肯定都会执行,因为callLater里面指定的是0.2和0.1,比1小
  await sleep(0.6);
}

const eventLoop = getEventLoop();
try {
  await eventLoop.runUntilComplete(() => main(eventLoop));
} finally {
  eventLoop.close();
}
/*
register callback
call_soon None
call_later 0.1s
call_later 0.2s
*/
