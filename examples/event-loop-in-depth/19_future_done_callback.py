import asyncio
import functools
'''
除了做法与协程类似,Future也可以调用回调,回调的顺序按照其注册的顺序调用
'''


def callback(future, n):
    print(f"future result: {future.result()} n:{n}")


async def register_callback(future):
    print("register callback on futures")
    # 设置一个回调,同样是只能传递函数名,触发回调的时候,会自动将future本身作为第一个参数传递给回调函数
    # 回调什么时候执行,还是那句话,当future执行set_result的时候执行
    future.add_done_callback(functools.partial(callback, n=1))
    future.add_done_callback(functools.partial(callback, n=2))


async def main(future):
    # 等待回调注册完成
    await register_callback(future)
    print("setting result of future")
    future.set_result("the result")


event_loop = asyncio.get_event_loop()
future = asyncio.Future()
event_loop.run_until_complete(main(future))
"""
register callback on futures
setting result of future
future result: the result n:1
future result: the result n:2
"""
