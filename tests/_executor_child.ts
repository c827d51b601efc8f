// Run by tests/executor_test.ts in a child `deno run` whose pool Workers
// cannot start. Not a test file.
//
//   _executor_child.ts            two toThread() calls (run it without
//                                 --allow-read: Workers cannot load)
//   _executor_child.ts POOL_URL   four jobs and one more submit() on a
//                                 ThreadPoolExecutor imported from POOL_URL
//                                 (a copy of src/ without the Workers'
//                                 module)
//
// Prints one line per call (its result or its error), then how many
// Workers were started and how many are still alive.
import { run, toThread } from "../mod.ts";

let started = 0;
let terminated = 0;
const Base = globalThis.Worker;
globalThis.Worker = class extends Base {
  constructor(specifier: string | URL, options?: WorkerOptions) {
    super(specifier, options);
    started++;
  }
  override terminate(): void {
    terminated++;
    super.terminate();
  }
};

function add(a: number, b: number): number {
  return a + b;
}

function describe(outcome: PromiseSettledResult<unknown>): string {
  if (outcome.status === "fulfilled") return `ran: ${outcome.value}`;
  const e = outcome.reason as Error;
  return `${e.name}: ${e.message}`;
}

async function settle(call: () => PromiseLike<unknown>): Promise<string> {
  try {
    return describe({ status: "fulfilled", value: await call() });
  } catch (reason) {
    return describe({ status: "rejected", reason });
  }
}

const poolUrl = Deno.args[0];
if (poolUrl === undefined) {
  await run(async () => {
    console.log(await settle(() => toThread(add, 1, 2)));
    console.log(await settle(() => toThread(add, 1, 2)));
  });
} else {
  const { ThreadPoolExecutor } = await import(
    poolUrl
  ) as typeof import("../src/workers/pool.ts");
  const pool = new ThreadPoolExecutor({ maxWorkers: 2 });
  const outcomes = await Promise.allSettled(
    [1, 2, 3, 4].map((i) => pool.submit(add, i, i)),
  );
  for (const outcome of outcomes) console.log(describe(outcome));
  console.log(await settle(() => pool.submit(add, 1, 1)));
  await pool.shutdown();
}
console.log(`Workers: ${started} started, ${started - terminated} alive`);
