import {
  type AbstractEventLoop,
  blockingSleep,
  getEventLoop,
  sleep,
} from "../../mod.ts";
import { print } from "../_print.ts";

function callback(cb: string): void {
  print(`callback ${cb}`);
}

async function main(loop: AbstractEventLoop): Promise<void> {
  const now = loop.time();
  loop.callAt(now + 0.3, callback, "call_at");
  loop.callLater(0.2, callback, "call_later");
  loop.callSoon(callback, "call_soon");
  blockingSleep(1);
  await sleep(1);
}

const eventLoop = getEventLoop();
try {
  await eventLoop.runUntilComplete(() => main(eventLoop));
} finally {
  eventLoop.close();
}
/*
callback call_soon
callback call_later
callback call_at
*/
// 遇到异步io,那么callSoon仍然最先执行
// 至于callLater和callAt,则是两者指定的时间哪个先到,先执行哪个
