import { run, sleep } from "../../mod.ts";
import { print, pyType as type } from "../_print.ts";

// 定义协程
async function customCoroutine() {
  print("运行自定义协程");
  // 等待另一个协程
  await sleep(1);
}

// 创建协程
const coro = customCoroutine;

// 运行协程
await run(coro);

// 检查协程的类型
print(type(coro));
