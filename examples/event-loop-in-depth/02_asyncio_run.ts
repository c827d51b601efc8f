import { run } from "../../mod.ts";
import { print } from "../_print.ts";

// deno-lint-ignore require-await
async function coroutine(): Promise<void> {
  print("in coroutine");
}

// (JS的async函数一调用就开始执行,所以交给run的是协程函数本身)
const coro = coroutine;
// 我们可以直接调用run(coroutine)来启动一个协程
await run(coro);
/*
in coroutine
*/
