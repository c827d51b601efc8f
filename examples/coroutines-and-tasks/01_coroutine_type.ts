import { sleep } from "../../mod.ts";
import { print, pyType as type } from "../_print.ts";

// 定义协程
async function customCoroutine() {
  print("运行自定义协程");
  // 等待另一个协程
  await sleep(1);
}

// 创建协程
// (calling customCoroutine() would already run it: JavaScript starts an
// async function at once, so the unstarted coroutine is the function itself;
// Python's "never awaited" RuntimeWarning has no counterpart)
const coro = customCoroutine;
// 检查协程的类型
print(type(coro));
