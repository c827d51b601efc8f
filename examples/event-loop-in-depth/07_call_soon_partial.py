import asyncio
from functools import partial
'''
除了管理协程和I/P回调,asyncio事件循环还可以根据循环中保存的一个定时器值来调度常规函数调用。
'''


# 如果回调的时间不重要,那么可以使用call_soon调度下一次循环迭代的调用
def callback(*args, **kwargs):
    print("callback:", args, kwargs)


async def main(loop):
    print("register callback")
    # 接收一个回调函数,和参数
    loop.call_soon(callback, "mashiro", 16)
    print("********")
    # 另外call_soon不支持使用关键字参数来向回调传递参数
    # 所以如果想使用关键字参数,需要使用偏函数转换一下
    # 其实不仅是这里的call_sonn,以及后面要介绍的call_later和call_at都不支持使用关键字参数来向回调传递参数
    # 因此如果不想使用偏函数来包装的话,就直接使用位置参数就可以了
    wrapped = partial(callback, kwargs={"name": "satori", "age": 16})
    loop.call_soon(wrapped, "mahsiro", 16)
    print("—————————")
    await asyncio.sleep(0.6)


loop = asyncio.get_event_loop()
loop.run_until_complete(main(loop))
"""
register callback
********
—————————
callback: ('mashiro', 16) {}
callback: ('mahsiro', 16) {'kwargs': {'name': 'satori', 'age': 16}}
"""
# 另外我们发现我们在调用了call_soon之后没有立刻执行,而是先进性了print
# 这是因为只有在遇到阻塞才会立刻执行,所以当遇到await asyncio.sleep的时候会去执行
# 另外这里的阻塞,不能是time.sleep,必须是可以awaitable的阻塞
