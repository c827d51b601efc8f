// Hello, asyncio: tasks run at the same time, gather collects their results,
// and a timeout cancels what runs too long. It takes under a second.
// (Not from a tutorial: `deno task example` runs it first. hello.py is the
// Python it was written next to; tests/examples_test.ts compares the two.)
import {
  CancelledError,
  createTask,
  gather,
  perfCounter,
  run,
  sleep,
  timeout,
  TimeoutError,
} from "../mod.ts";
import { print } from "./_print.ts";

const start = perfCounter();

function elapsed(): string {
  return `${(perfCounter() - start).toFixed(1)}s`;
}

async function greet(name: string, delay: number): Promise<string> {
  try {
    await sleep(delay);
  } catch (error) {
    if (error instanceof CancelledError) {
      print(elapsed(), `${name} was cancelled`);
    }
    throw error;
  }
  print(elapsed(), `hello from ${name} (slept ${delay}s)`);
  return name.toUpperCase();
}

async function main(): Promise<void> {
  // Three tasks start at once: together they take 0.3 s, not 0.6 s.
  // (createTask takes a function: calling greet() would start it already.)
  const tasks = [
    createTask(() => greet("alice", 0.3)),
    createTask(() => greet("bob", 0.1)),
    createTask(() => greet("carol", 0.2)),
  ];
  print(elapsed(), `started ${tasks.length} tasks`);
  // gather waits for all of them; results come in the order given.
  const results = await gather(...tasks);
  print(elapsed(), "gather returned", results);
  // A timeout cancels the work inside it once its time is up.
  try {
    await timeout(0.5, async () => {
      await greet("dave", 10);
    });
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
    print(elapsed(), "dave timed out after 0.5s");
  }
  print(elapsed(), "done");
}

await run(main);
