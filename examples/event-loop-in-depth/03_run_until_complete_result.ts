import { getEventLoop } from "../../mod.ts";
import { print } from "../_print.ts";

// 我们也可以获取协程的返回值

// deno-lint-ignore require-await
async function coroutine(): Promise<string> {
  print("in coroutine");
  return "result";
}

const loop = getEventLoop();
try {
  const coro = coroutine;
  const result = await loop.runUntilComplete(coro);
  print(result);
} finally {
  loop.close();
}
/*
in coroutine
result
*/
// 在这里,runUntilComplete还会返回它等待的协程的结果
