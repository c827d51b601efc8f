import asyncio
'''
和线程一样,协程里面也有事件的概念。asyncio.Event基于threading.Event,它允许多个消费者等待某个事件发生。
Event对象可以使用set、wait、clear
set:设置标志位,调用is_set可以查看标志位是否被设置。一个刚创建的Event对象默认是没有设置的
wait:等待,在没有调用set的情况下,会阻塞。如果设置了set,wait则不会阻塞
clear:清空标志位
'''


def set_event(event):
    print("设置标志位,因为协程会卡住,只有设置了标志位才会往下走")
    print("但我是一秒后才被调用,所以协程想往下走起码也要等到1秒后了")
    event.set()


async def coro1(event):
    print("coro1在这里卡住了,快设置标志位啊")
    await event.wait()
    print(f"coro1飞起来了,不信你看现在标志位,是否设置标志位:{event.is_set()}")


async def coro2(event):
    print("coro2在这里卡住了,快设置标志位啊")
    await event.wait()
    print(f"coro2飞起来了,不信你看现在标志位,是否设置标志位:{event.is_set()}")


async def main(loop):
    # 创建共享事件
    event = asyncio.Event()
    # 现在设置标志位了吗?
    print("是否设置标志位:", event.is_set())
    # 执行回调将标志位设置,不然协程卡住了
    loop.call_later(1, set_event, event)
    # 运行卡住的的协程
    print("等待所有协程")
    # (python3.11开始asyncio.wait不再接受协程,所以这里用create_task包装成任务)
    await asyncio.wait([asyncio.create_task(coro1(event)), asyncio.create_task(coro2(event))])


loop = asyncio.get_event_loop()
loop.run_until_complete(main(loop))
"""
是否设置标志位: False
等待所有协程
coro2在这里卡住了,快设置标志位啊
coro1在这里卡住了,快设置标志位啊
设置标志位,因为协程会卡住,只有设置了标志位才会往下走
但我是一秒后才被调用,所以协程想往下走起码也要等到1秒后了
coro2飞起来了,不信你看现在标志位,是否设置标志位:True
coro1飞起来了,不信你看现在标志位,是否设置标志位:True
"""
