import asyncio
import time
'''
除了call_soon瞬间执行,和call_later延迟执行之外,还有一个call_at在指定之间内执行。
实现这个目的的循环依赖于一个单调时钟,而不是墙上的时钟时间,以确保now时间绝对不会逆转。
要为一个调度回调选择时间,必须使用循环的time方法从这个时钟的内部开始
'''


def callback(cb, loop):
    print(f"callback {cb} invoked at {loop.time() - loop_start:.1f}")


async def main(loop):
    now = loop.time()
    print("clock time:", f"{time.time() - clock_start:.1f}")
    print("loop time:", f"{now - loop_start:.1f}")
    print("register callback")
    # 表示在当前时间(time = loop.time())之后的0.2s执行,个人觉得类似于call_later
    loop.call_at(now + 0.2, callback, "call_at", loop)
    time.sleep(1)
    print("是先打印我呢?还是先执行call_at或者call_sonn呢")
    await asyncio.sleep(1)


event_loop = asyncio.get_event_loop()
# 为了让输出固定,时间都打印相对于开始时的秒数
clock_start = time.time()
loop_start = event_loop.time()
try:
    event_loop.run_until_complete(main(event_loop))
finally:
    event_loop.close()
'''
clock time: 0.0
loop time: 0.0
register callback
是先打印我呢?还是先执行call_at或者call_sonn呢
callback call_at invoked at 1.0
'''
# 所以这和call_later也是类似的,都是在遇到io阻塞之后才会执行
