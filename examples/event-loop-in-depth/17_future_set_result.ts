import { Future, getEventLoop } from "../../mod.ts";
import { print } from "../_print.ts";

// Future表示还未完成的工作的结果。事件循环可以通过监视一个Future对象的状态来指示它已经完成,从而允许应用的一部分等待另一部分完成一些工作。

// Future的做法类似于协程,所以等待协程所用的技术同样可以用于等待Future。
// 接收一个future和result
function markDone(future: Future<string>, result: string): void {
  print("setting result");
  future.setResult(result);
}

const eventLoop = getEventLoop();
// 如何创建一个future,使用new Future()
let future = new Future<string>();
// 为future注册回调,协程、task、future三者是递进关系,都可以设置回调,都可以扔进事件循环
eventLoop.callLater(2, markDone, future, "我是返回值");
// future什么时候才能执行完毕呢?当future执行了setResult的时候
await eventLoop.runUntilComplete(future);
print(future.result());
/*
setting result
我是返回值
*/
// 对于一个任务是否完成,就是看其对应的future有没有setResult,如果setResult之后,那么这个任务便执行完毕了
// 通过future.result()便可以拿到任务的返回值,所以说future是task的容器
future = new Future<string>();
// 设置只能设置一次,设置多次会报错
future.setResult("xxx");
// 但是取可以取多次
print(future.result()); // xxx
print(future.result()); // xxx
print(future.result()); // xxx
print(future.result()); // xxx
print(future.result()); // xxx
// 教程接下来的concurrent.futures.Future部分(setResult两次,以最后一次为准)
// 在python3.8及以后的版本中会抛出InvalidStateError,所以这里没有移植
