import assert from "node:assert/strict";
import { run, toThread, ThreadPoolExecutor, workerModule, WorkerLoop, WorkerCrashedError } from "../mod.ts";
import type * as Jobs from "./_jobs.ts";
import { liveWorkers, workerTest } from "./_helpers.ts";
const jobs = workerModule<typeof Jobs>(new URL("./_jobs.ts", import.meta.url));

workerTest("basic", async () => {
  await run(async () => {
    assert.equal(await toThread(jobs.add, 1, 2), 3);
    console.log(await toThread(jobs.threadName));
    console.log("live", liveWorkers());
  });
});
workerTest("crashes", async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
  for (const f of [() => pool.submit(jobs.throwInTimer, "boom"), () => pool.submit(jobs.rejectUnhandled, "rej"), () => pool.submit(jobs.closeSelf)]) {
    const fut = f();
    const after = pool.submit(jobs.add, 2, 3);
    try { console.log(await fut); } catch (e) { console.log(e instanceof WorkerCrashedError, (e as Error).message, (e as Error).cause); }
    console.log(await after);
  }
});
workerTest("order", async () => {
  await run(async () => {
    await using loop = await WorkerLoop.start();
    for (let i = 0; i < 5; i++) loop.callSoonThreadsafe(jobs.appendLog, i);
    console.log(await loop.runCoroutineThreadsafe(jobs.readLog));
    console.log(await loop.runCoroutineThreadsafe(jobs.readLog));
  });
});
