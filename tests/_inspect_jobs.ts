// A coroutine function run on the WorkerLoop of tests/_inspect_target.ts,
// by reference: it waits there until the loop stops.
import { sleep } from "../mod.ts";

export async function sideJob(): Promise<void> {
  await sleep(3600);
}
