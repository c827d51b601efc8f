// clock: real
import {
  createTask,
  getEventLoop,
  perfCounter,
  sleep,
  wait,
  workerModule,
} from "../../mod.ts";
import { print } from "../_print.ts";
import type * as Jobs from "../_thread_jobs.ts";

/*
 * 目前来说,我们想实现异步,最好的方式就是通过线程池(Worker)
 * 现在我们有两个文件
 */

// 读文件的那一步(Python的__read)在Worker里运行,对应_thread_jobs.ts里的readFile。
// 它用到了import进来的blockingSleep,所以按引用(by reference)传:
// Worker自己import _thread_jobs.ts,再按名字找到readFile
const jobs = workerModule<typeof Jobs>(
  new URL("../_thread_jobs.ts", import.meta.url),
);

class Reader {
  readonly #file: string;

  constructor(file: URL) {
    // Python在这里打开文件(self.fd),再让线程去读它;Worker和主线程不共享内存,
    // 看不到this里的东西,所以这里只记下文件的地址,由Worker自己打开、读取
    this.#file = file.href;
  }

  // Python的__aenter__返回self:await using直接用的就是Reader对象本身

  async read(): Promise<string> {
    // 这个是可以await的,如果我们需要其返回值,那么需要进行await
    // 并且不传线程池(null),那么默认会创建一个
    return await loop.runInExecutor(null, jobs.readFile, this.#file);
  }

  // 对应__aexit__:Python在这里关闭文件;这里文件在Worker里读完就关了,没有要关的
  async [Symbol.asyncDispose](): Promise<void> {}
}

async function foo(name: URL): Promise<void> {
  await using f = new Reader(name);
  print(await f.read());
}

// 文件放在本文件旁边的data目录里
function data(name: string): URL {
  return new URL(`./data/${name}`, import.meta.url);
}

async function main(): Promise<void> {
  const t1 = createTask(() => foo(data("白色相簿1.txt")));
  // 原文两个同时开始,两个线程同时睡2秒,谁先打印全凭运气;
  // 这里让第二个晚0.5秒开始,输出的顺序就固定了
  await sleep(0.5);
  const t2 = createTask(() => foo(data("白色相簿2.txt")));
  await wait([t1, t2]);
}

const loop = getEventLoop();
const start = perfCounter();
await loop.runUntilComplete(main);
print(`总用时:${(perfCounter() - start).toFixed(1)}`); // 总用时:2.0 (原文两个同时开始)
/*
白色相簿什么的,已经无所谓了。
因为已经不再有歌,值得去唱了。
传达不了的恋情,已经不需要了。
因为已经不再有人,值得去爱了。
为什么你会这么熟练啊!
你和雪菜亲过多少次了啊!?
你到底要把我甩开多远你才甘心啊!?
总用时:2.5
*/
// 可以看到总用时是2.5s(原文是2s):两个文件是在两个Worker里同时读的,不是一个接一个(那样要4.5s)
