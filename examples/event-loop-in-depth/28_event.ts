import {
  type AbstractEventLoop,
  Event,
  getEventLoop,
  wait,
} from "../../mod.ts";
import { print, pyStr } from "../_print.ts";

/*
 * 和线程一样,协程里面也有事件的概念。Event允许多个消费者等待某个事件发生。
 * Event对象可以使用set、wait、clear
 * set:设置标志位,调用isSet可以查看标志位是否被设置。一个刚创建的Event对象默认是没有设置的
 * wait:等待,在没有调用set的情况下,会阻塞。如果设置了set,wait则不会阻塞
 * clear:清空标志位
 */

function setEvent(event: Event): void {
  print("设置标志位,因为协程会卡住,只有设置了标志位才会往下走");
  print("但我是一秒后才被调用,所以协程想往下走起码也要等到1秒后了");
  event.set();
}

async function coro1(event: Event): Promise<void> {
  print("coro1在这里卡住了,快设置标志位啊");
  await event.wait();
  print(
    `coro1飞起来了,不信你看现在标志位,是否设置标志位:${pyStr(event.isSet())}`,
  );
}

async function coro2(event: Event): Promise<void> {
  print("coro2在这里卡住了,快设置标志位啊");
  await event.wait();
  print(
    `coro2飞起来了,不信你看现在标志位,是否设置标志位:${pyStr(event.isSet())}`,
  );
}

async function main(loop: AbstractEventLoop): Promise<void> {
  // 创建共享事件
  const event = new Event();
  // 现在设置标志位了吗?
  print("是否设置标志位:", event.isSet());
  // 执行回调将标志位设置,不然协程卡住了
  loop.callLater(1, setEvent, event);
  // 运行卡住的的协程(协程函数会被wait包装成任务)
  print("等待所有协程");
  await wait([() => coro1(event), () => coro2(event)]);
}

const loop = getEventLoop();
await loop.runUntilComplete(() => main(loop));
/*
是否设置标志位: False
等待所有协程
coro1在这里卡住了,快设置标志位啊
coro2在这里卡住了,快设置标志位啊
设置标志位,因为协程会卡住,只有设置了标志位才会往下走
但我是一秒后才被调用,所以协程想往下走起码也要等到1秒后了
coro1飞起来了,不信你看现在标志位,是否设置标志位:True
coro2飞起来了,不信你看现在标志位,是否设置标志位:True
*/
