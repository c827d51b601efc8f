/**
 * - 简单爬虫模拟
 * - 这里用异步接口写了个同步代码
 */

import { perfCounter, run, sleep } from "../../mod.ts";
import { print } from "../_print.ts";

async function crawlPage(url: string) {
  print(`crawling ${url}`);
  const sleepTime = Number(url.split("_").at(-1));
  await sleep(sleepTime); // 休眠
  print(`OK ${url}`);
}

async function main(urls: string[]) {
  for (const url of urls) {
    await crawlPage(url); // await会将程序阻塞在这里，进入被调用的协程函数，执行完毕后再继续
  }
}

const start = perfCounter();

await run(() => main(["url_1", "url_2"])); // 协程接口

print(`Cost ${(perfCounter() - start).toFixed(1)} s`);
