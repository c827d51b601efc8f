import { type AbstractEventLoop, getEventLoop, Lock, wait } from "../../mod.ts";
import { print } from "../_print.ts";

/*
 * Lock可以用来保护对一个共享资源的访问,只有锁的持有者可以使用这个资源。
 * 如果有多个请求要得到这个锁,那么其将会阻塞,以保证一次只有一个持有者
 */

function unlock(lock: Lock): void {
  print("回调释放锁,不然其他协程获取不到。");
  print(
    "但我是1秒后被调用,锁又在只能通过调用我才能释放,所以很遗憾,其他协程要想执行,至少要1秒后了",
  );
  lock.release();
}

async function coro1(lock: Lock): Promise<void> {
  print("coro1在等待锁");
  // Python的async with lock:在这里写成using _held = await lock.acquire()
  // acquire()返回一个释放器,离开代码块时自动调用lock.release()
  {
    using _held = await lock.acquire();
    print("coro1获得了锁");
    print("coro1释放了锁");
  }
}

async function coro2(lock: Lock): Promise<void> {
  print("coro2在等待锁");
  // 使用await lock.acquire()和lock.release()这种方式也是一样的
  await lock.acquire();
  print("coro2获得了锁");
  print("coro2释放了锁");
  // 注意release是不需要await的
  lock.release();
}

async function main(loop: AbstractEventLoop): Promise<void> {
  // 创建共享锁
  const lock = new Lock();
  print("在开始协程之前创建一把锁");
  await lock.acquire(); // 这里先把锁给锁上
  print("锁是否被获取:", lock.locked());
  // 执行回调将锁释放,不然协程无法获取锁
  loop.callLater(1, unlock, lock);
  // 运行想要使用锁的协程(协程函数会被wait包装成任务)
  print("等待所有协程");
  await wait([() => coro1(lock), () => coro2(lock)]);
}

const loop = getEventLoop();
await loop.runUntilComplete(() => main(loop));
/*
在开始协程之前创建一把锁
锁是否被获取: True
等待所有协程
coro1在等待锁
coro2在等待锁
回调释放锁,不然其他协程获取不到。
但我是1秒后被调用,锁又在只能通过调用我才能释放,所以很遗憾,其他协程要想执行,至少要1秒后了
coro1获得了锁
coro1释放了锁
coro2获得了锁
coro2释放了锁
*/
