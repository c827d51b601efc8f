import { run } from "../../mod.ts";
import { print } from "../_print.ts";

// async function里面出现了yield,这种方式叫做异步生成器。
async function* foo(): AsyncGenerator<number> {
  yield 123;
  yield 456;
  yield 789;
  print("xxx");
}

async function main(): Promise<void> {
  for await (const _ of foo()) {
    print(_);
  }
}

await run(main);
/*
123
456
789
xxx
*/
