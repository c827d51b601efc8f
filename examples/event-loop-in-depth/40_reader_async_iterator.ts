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

// 读一行的那一步(Python的__read)在Worker里运行,对应_thread_jobs.ts里的readLine。
// 它用到了import进来的blockingSleep,所以按引用(by reference)传:
// Worker自己import _thread_jobs.ts,再按名字找到readLine
const jobs = workerModule<typeof Jobs>(
  new URL("../_thread_jobs.ts", import.meta.url),
);

class Reader {
  readonly #fd: string[];
  #index = 0;

  constructor(file: URL) {
    // Python的readlines():每一行都保留末尾的换行
    this.#fd = Deno.readTextFileSync(file).split(/(?<=\n)/);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  // 对应__anext__
  async next(): Promise<IteratorResult<string>> {
    try {
      // Python的__read读的是self.fd[self.__index];Worker和主线程不共享内存,
      // 看不到this里的东西,所以把所有行和下标传过去,下标由这里往后移
      const res = await loop.runInExecutor(
        null,
        jobs.readLine,
        this.#fd,
        this.#index,
      );
      this.#index += 1;
      return { done: false, value: res };
    } catch (e) {
      // 读过了头,readLine抛出RangeError(Python的IndexError)
      if (e instanceof RangeError) {
        // 返回done: true(相当于raise StopAsyncIteration)
        return { done: true, value: undefined };
      }
      throw e;
    }
  }
}

async function foo(name: URL): Promise<void> {
  for await (const line of new Reader(name)) {
    // 由于文件结尾含有换行,我们将其去掉,因为print自带换行
    print(line.slice(0, -1));
  }
}

// 文件放在本文件旁边的data目录里
function data(name: string): URL {
  return new URL(`./data/${name}`, import.meta.url);
}

async function main(): Promise<void> {
  const t1 = createTask(() => foo(data("白色相簿1.txt")));
  // 原文两个同时开始,两个线程每次都同时睡1秒,每一轮谁先打印全凭运气;
  // 这里让第二个晚0.5秒开始,交错的顺序就固定了
  await sleep(0.5);
  const t2 = createTask(() => foo(data("白色相簿2.txt")));
  await wait([t1, t2]);
}

const loop = getEventLoop();
const start = perfCounter();
await loop.runUntilComplete(main);
print(`总用时:${(perfCounter() - start).toFixed(1)}`); // 总用时:5.0
/*
白色相簿什么的,已经无所谓了。
为什么你会这么熟练啊!
因为已经不再有歌,值得去唱了。
你和雪菜亲过多少次了啊!?
传达不了的恋情,已经不需要了。
你到底要把我甩开多远你才甘心啊!
因为已经不再有人,值得去爱了
总用时:5.0
*/
// 可以看到是并发交错打印的
// (原文还提到:如果用__next__代替先全部读取再用下标的方式,会报
// TypeError: StopIteration interacts badly with generators and cannot be raised into a Future,
// 那是Python的限制:StopIteration不能设置到Future里。这里用的是RangeError,没有这个问题)
// (文件末尾没有换行,所以每个文件的最后一行被slice(0, -1)去掉的是最后一个字,而不是换行)
