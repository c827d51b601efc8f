import { type AbstractEventLoop, getEventLoop, sleep } from "../../mod.ts";
import { print, pyRepr } from "../_print.ts";

// 除了管理协程和I/O回调,asyncio事件循环还可以根据循环中保存的一个定时器值来调度常规函数调用。

// Python的元组的repr
const tuple = (items: unknown[]) => `(${items.map(pyRepr).join(", ")})`;

// 如果回调的时间不重要,那么可以使用callSoon调度下一次循环迭代的调用
// (JS没有关键字参数,Python的**kwargs在这里是第一个参数kwargs)
function callback(kwargs: Record<string, unknown>, ...args: unknown[]): void {
  print("callback:", tuple(args), kwargs);
}

async function main(loop: AbstractEventLoop): Promise<void> {
  print("register callback");
  // 接收一个回调函数,和参数(没有关键字参数,kwargs是空的)
  loop.callSoon(callback, {}, "mashiro", 16);
  print("********");
  // 另外callSoon不支持使用关键字参数来向回调传递参数
  // 所以如果想使用关键字参数,需要使用偏函数转换一下(JS里就是bind)
  // 其实不仅是这里的callSoon,以及后面要介绍的callLater和callAt都不支持
  const wrapped = callback.bind(null, {
    kwargs: { name: "satori", age: 16 },
  });
  loop.callSoon(wrapped, "mahsiro", 16);
  print("—————————");
  await sleep(0.6);
}

const loop = getEventLoop();
await loop.runUntilComplete(() => main(loop));
/*
register callback
********
—————————
callback: ('mashiro', 16) {}
callback: ('mahsiro', 16) {'kwargs': {'name': 'satori', 'age': 16}}
*/
// 另外我们发现我们在调用了callSoon之后没有立刻执行,而是先进行了print
// 这是因为只有在遇到阻塞才会立刻执行,所以当遇到await sleep的时候会去执行
// 另外这里的阻塞,不能是blockingSleep(time.sleep),必须是可以await的阻塞
