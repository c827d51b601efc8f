import { asyncContextManager, run } from "../../mod.ts";
import { print } from "../_print.ts";

// contextlib.asynccontextmanager
const foo = asyncContextManager(async function* () {
  print("xxx");
  const l: number[] = [];
  yield l;
  print(l);
});

async function main(): Promise<void> {
  // async with foo() as l:
  await using cm = await foo();
  const l = cm.value;
  l.push(1);
  l.push(2);
  l.push(3);
}

await run(main);
/*
xxx
[1, 2, 3]
*/
