import { type AbstractEventLoop, Future, getEventLoop } from "../../mod.ts";
import { print } from "../_print.ts";

// Future还可以结合await关键字使用

function markDone(future: Future<string>, result: string): void {
  print("setting result");
  future.setResult(result);
}

async function main(loop: AbstractEventLoop): Promise<void> {
  const future = new Future<string>();
  print("scheduling mark_done");
  loop.callLater(2, markDone, future, "the result");
  // 会等到这个future完成,什么时候完成,当这个future执行setResult的时候,然后await future的值则是future.result()
  // 其实我们await一个协程也是一样,也是当协程对应的任务执行完毕、future将返回值进行setResult的时候
  const res = await future;
  print("res =", res);
}

const loop = getEventLoop();
await loop.runUntilComplete(() => main(loop));
/*
scheduling mark_done
setting result
res = the result
*/
