import { perfCounter, run, sleep, wait } from "../../mod.ts";
import { print, pyRepr } from "../_print.ts";

async function taskFunc(n: number): Promise<string> {
  await sleep(1);
  return `task${n}`;
}

async function main(): Promise<void> {
  // 这个wait函数有两个返回值,一个是内部任务已完成的future,一个是未完成的future
  const [finished, _pending] = await wait(
    [1, 2, 3, 4].map((n) => () => taskFunc(n)),
  );
  // 我们说过一旦任务完成,future就会通过setResult方法设置返回值
  // 然后我们通过future.result()就能拿到返回值
  // (finished是一个集合,为了和Python的输出一致这里排了序)
  print(
    `results: ${pyRepr([...finished].map((future) => future.result()).sort())}`,
  );
}

const start = perfCounter();
await run(main);
print(`总用时:${(perfCounter() - start).toFixed(1)}`);
/*
results: ['task1', 'task2', 'task3', 'task4']
总用时:1.0
*/
