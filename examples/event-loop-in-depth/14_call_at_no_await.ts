import { type AbstractEventLoop, getEventLoop } from "../../mod.ts";
import { print } from "../_print.ts";

function callback(cb: string): void {
  print(`callback ${cb}`);
}

// deno-lint-ignore require-await
async function main(loop: AbstractEventLoop): Promise<void> {
  const now = loop.time();
  loop.callAt(now + 0.2, callback, "call_at");
  loop.callLater(0.2, callback, "call_later");
  loop.callSoon(callback, "call_soon");
  // await sleep(1);
}

const eventLoop = getEventLoop();
try {
  await eventLoop.runUntilComplete(() => main(eventLoop));
} finally {
  eventLoop.close();
}
/*
callback call_soon
*/
// 首先我们发现,如果没有异步io阻塞,那么最终只有callSoon会执行
