import { run } from "../../mod.ts";
import { print } from "../_print.ts";

// 一个协程还可以驱动另一个协程并等待结果,从而可以更容易地将一个任务分解为可重用的部分。

async function worker(): Promise<void> {
  print("worker....");
  // 使用await方法会驱动协程consumer执行,并得到其返回值
  // 这里类似于函数调用一样,但是呢,协程需要加上一个await
  const res = await consumer();
  print(res);
}

// deno-lint-ignore require-await
async function consumer(): Promise<string> {
  return "i am consumer";
}

await run(worker);
/*
worker....
i am consumer
*/
// 在这里,使用await关键字,而不是向循环中增加新的协程。因为控制流已经在循环管理的一个协程中,所以没必要告诉事件循环来管理这些协程。
// 另外,协程可以并发运行,但前提是多个协程。这个协程卡住了,可以切换到另一个协程。但是就卡住的协程本身来说,该卡多长时间还是多长时间。
