import { perfCounter, Queue, run, sleep, wait } from "../../mod.ts";
import { print, pyStr } from "../_print.ts";

// Queue为协程提供了一个先进先出的数据结构,这与线程的queue.Queue或者进程里面的Queue很类似

async function consumer(q: Queue<number | null>, n: number): Promise<void> {
  print(`消费者${n}号 开始`);
  while (true) {
    await sleep(2);
    const item = await q.get();
    print(`消费者${n}号: 消费元素${pyStr(item)}`);
    // 由于我们要开启多个消费者,为了让其停下来,我们添加null作为停下来的信号
    if (item === null) {
      // 队列里有一个未完成任务的计数,每put一个元素,这个值就会加1
      // join会一直阻塞,直到这个计数为0;get不会帮我们减1,需要手动调用taskDone
      q.taskDone();
      break;
    } else {
      q.taskDone();
    }
  }
}

async function producer(
  q: Queue<number | null>,
  consumerNum: number,
): Promise<void> {
  print(`生产者 开始`);
  for (let i = 1; i < 22; i++) {
    await q.put(i);
    print(`生产者: 生产元素${i},并放在了队列里`);
  }
  // 为了让消费者停下来,我就把null添加进去吧
  // 开启几个消费者,就添加几个null
  for (let i = 0; i < consumerNum; i++) {
    await q.put(null);
  }
  // 等待所有消费者执行完毕
  // 只要未完成的计数不为0,那么q.join就会卡住,直到消费者全部消费完为止
  await q.join();
  print("生产者生产的东西全被消费者消费了");
}

async function main(consumerNum: number): Promise<void> {
  const q = new Queue<number | null>();
  const consumers = Array.from(
    { length: consumerNum },
    (_, i) => () => consumer(q, i),
  );
  // 协程函数会被wait包装成任务
  await wait([...consumers, () => producer(q, consumerNum)]);
}

const start = perfCounter();
await run(() => main(3));
print(`总用时:${(perfCounter() - start).toFixed(1)}`);
/*
消费者0号 开始
消费者1号 开始
消费者2号 开始
生产者 开始
生产者: 生产元素1,并放在了队列里
...
生产者: 生产元素21,并放在了队列里
消费者0号: 消费元素1
消费者1号: 消费元素2
消费者2号: 消费元素3
...
消费者2号: 消费元素21
消费者0号: 消费元素None
消费者1号: 消费元素None
消费者2号: 消费元素None
生产者生产的东西全被消费者消费了
总用时:16.0
*/
