import { ensureFuture, run } from "../../mod.ts";
import { print } from "../_print.ts";

// deno-lint-ignore require-await
async function foo(): Promise<string> {
  return "我是foo";
}

// Python里实现了__await__的对象可以被await,JS里则是实现了then的对象(thenable)
class A {
  then(
    resolve: (value: string) => void,
    reject: (reason: unknown) => void,
  ): void {
    // 同样需要包装成任务(ensureFuture),再把它的结果交出去
    ensureFuture(foo).then(resolve, reject);
  }
}

async function main(): Promise<void> {
  const res = await new A();
  print(res);
}

try {
  await run(main);
} catch (e) {
  print(e);
}
/*
我是foo
*/
// 可以看到成功执行
// 其实兜了这么大圈子,完全没必要
// await后面如果是协程函数返回的promise,直接await就行了,但是用我们自己的类的话,
// 那么我们必须在then中手动的使用ensureFuture或者createTask进行包装,再把结果交出去
