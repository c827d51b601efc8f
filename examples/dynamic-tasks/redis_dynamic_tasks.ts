// clock: real
//
// 2. 利用redis实现动态添加任务 (seed 004, part 2)
//
// 对于并发任务,通常是用生成消费模型,对队列的处理可以使用类似master-worker的方式,
// master主要用户获取队列的msg,worker用户处理消息。
//
// Python原文: 一个线程里永远运行着一个事件循环(new_loop),另一个线程用rpop轮询
// Redis的queue列表(空了就time.sleep(1)),对每条消息run_coroutine_threadsafe(
// do_sleep(int(task), queue), new_loop);主线程从queue.Queue里等"ok"并打印时间。
//
// 这里: 事件循环在Worker里永远运行(WorkerLoop);RedisTaskSource用BLMOVE阻塞地
// 取消息(不轮询,也不阻塞主线程的事件循环),对每条消息在那个循环上
// runCoroutineThreadsafe(doSleep, task);任务做完才从processing列表里删掉这条消息
// (消费者死了消息也不会丢)。主线程在onDone里收到完成的任务,像原文一样打印。
//
// Redis: 设了REDIS_URL就连它;否则PATH上有redis-server就自己在临时目录里、
// 空闲的本地端口上起一个,结束时停掉并删掉目录。
//
// 原文的用户在redis-cli里依次LPUSH 5、3、1;这里例子自己推送,2秒后再推送一个2,
// 然后四个任务都完成就停下。想一直运行、从另一个终端添加任务:
//   deno task example redis_dynamic_tasks --forever   (或 REDIS_EXAMPLE_FOREVER=1)
import {
  createTask,
  Queue,
  run,
  sleep,
  WorkerLoop,
  workerModule,
} from "../../mod.ts";
import { RedisTaskSource } from "../../redis.ts";
import { ctime, print } from "../_print.ts";
import { connect, findRedis, NO_REDIS } from "../_redis.ts";
import type * as Jobs from "../_redis_jobs.ts";

// doSleep(task)(Python的async def do_sleep)在Worker的事件循环上运行,按引用传
const jobs = workerModule<typeof Jobs>(
  new URL("../_redis_jobs.ts", import.meta.url),
);

const forever = Deno.args.includes("--forever") ||
  Deno.env.get("REDIS_EXAMPLE_FOREVER") === "1";

async function main(): Promise<void> {
  const server = await findRedis();
  if (server === null) {
    console.error(NO_REDIS);
    Deno.exitCode = 1;
    return;
  }
  // 收完成的任务的队列(Python的queue = Queue())
  const queue = new Queue<string>();
  let newLoop: WorkerLoop | undefined;
  let rcon: Awaited<ReturnType<typeof connect>> | undefined;
  let blocking: typeof rcon;
  let source: RedisTaskSource | undefined;
  try {
    // 一个在后台永远运行的事件循环(Python: new_event_loop() + Thread(target=start_loop))
    newLoop = await WorkerLoop.start();

    // 创建redis连接: 一个发普通命令,一个专门给阻塞的BLMOVE用
    rcon = await connect(server.url);
    blocking = await connect(server.url);

    // 消费队列消息,并实时往事件循环里添加新任务(Python的consumer_thread)
    source = new RedisTaskSource({
      redis: rcon,
      blockingRedis: blocking,
      queue: "queue",
    });
    await source.start();
    source.feed(newLoop, jobs.doSleep, {
      // 任务做完(消息已从processing列表删掉)后在主线程上调用
      onDone: (task, error) =>
        queue.putNowait(
          error === null
            ? `${task}秒的任务 协程运行完..`
            : `任务 ${JSON.stringify(task)} 出错: ${error}`,
        ),
    });

    // 原文在启动前打印时间;这里在Worker和连接都准备好之后、推送消息之前打印,
    // 这样打印出来的时间差就是任务的耗时
    print(ctime());
    // 原文的用户在redis-cli里分别输入key=queue,value=5,3,1的消息
    for (const task of ["5", "3", "1"]) {
      await rcon.command(["LPUSH", "queue", task]);
    }
    // 运行中再动态添加一个任务: 2秒后推送一个2秒的任务(4秒时完成)
    const late = createTask(async () => {
      await sleep(2);
      await rcon!.command(["LPUSH", "queue", "2"]);
    });

    if (forever) {
      print(
        `一直运行, 从另一个终端添加任务: redis-cli ${server.cli} LPUSH queue 3  (Ctrl-C 结束)`,
      );
    }
    for (let done = 0; forever || done < 4; done++) {
      const msg = await queue.get();
      print(msg);
      print("当前时间:", ctime());
    }
    await late;
    // 1秒的任务最先结束, 四个任务完成总耗时5秒
    if (!forever) {
      print(
        "(--forever 或 REDIS_EXAMPLE_FOREVER=1: 一直运行, 可从另一个终端 redis-cli LPUSH queue 3 添加任务)",
      );
    }
  } finally {
    // Ctrl-C时run()取消main,这里的finally照样运行(Python: KeyboardInterrupt)。
    // 停下: 不再取消息, 停下Worker里的事件循环, 关掉连接, 停掉自己起的redis-server
    await source?.close();
    await newLoop?.stop();
    await rcon?.close();
    await blocking?.close();
    await server.stop();
  }
}

await run(main);
/*
Thu May 31 23:42:48 2018
1秒的任务 协程运行完..
当前时间: Thu May 31 23:42:49 2018
3秒的任务 协程运行完..
当前时间: Thu May 31 23:42:51 2018
2秒的任务 协程运行完..
当前时间: Thu May 31 23:42:52 2018
5秒的任务 协程运行完..
当前时间: Thu May 31 23:42:53 2018
*/
// 5s、3s、1s的任务确实是并发执行的, 1s的任务最先结束, 总耗时5s;
// 2秒后才加进来的2s任务在第4秒完成
