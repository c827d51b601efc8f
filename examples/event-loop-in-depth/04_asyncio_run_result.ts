import { run } from "../../mod.ts";
import { print } from "../_print.ts";

// 我们也可以获取协程的返回值

// deno-lint-ignore require-await
async function coroutine(): Promise<string> {
  print("in coroutine");
  return "result";
}

const coro = coroutine;
const result = await run(coro);
print(result);
/*
in coroutine
result
*/
