// 异步实现

import { createTask, perfCounter, run, sleep } from "../../mod.ts";
import { print } from "../_print.ts";

async function crawlPage(url: string) {
  print(`crawling ${url}`);
  const sleepTime = Number(url.split("_").at(-1));
  await sleep(sleepTime);
  print(`OK ${url}`);
}

async function main(urls: string[]) {
  const tasks = urls.map((url) => createTask(() => crawlPage(url)));
  for (const task of tasks) {
    await task;
  }
  // 上面的for循环也可以换成这一行await gather(...tasks)
  // ...tasks 展开列表，将列表变成了函数的参数
}

const start = perfCounter();

await run(() => main(["url_1", "url_2"]));

print(`Cost ${(perfCounter() - start).toFixed(1)} s`);
