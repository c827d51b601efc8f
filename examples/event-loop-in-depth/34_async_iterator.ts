import { run } from "../../mod.ts";
import { print } from "../_print.ts";

class A {
  l = [1, 2, 3, 4];
  #index = 0;

  // 注意:定义[Symbol.asyncIterator](Python的__aiter__)是不需要async的
  [Symbol.asyncIterator](): this {
    return this;
  }

  // 但是定义next(Python的__anext__)需要async
  // deno-lint-ignore require-await
  async next(): Promise<IteratorResult<number>> {
    // JS的数组越界不会报错,所以先判断
    if (this.#index >= this.l.length) {
      // 没有元素了,返回done: true(相当于raise StopAsyncIteration)
      return { done: true, value: undefined };
    }
    const res = this.l[this.#index];
    this.#index += 1;
    return { done: false, value: res };
  }
}

async function main(): Promise<void> {
  for await (const _ of new A()) {
    print(_);
  }
}

await run(main);
/*
1
2
3
4
*/
