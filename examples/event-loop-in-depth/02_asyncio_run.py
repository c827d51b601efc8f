import asyncio


async def coroutine():
    print("in coroutine")


coro = coroutine()
# 我们可以直接调用asyncio.run(coroutine)来启动一个协程
# 使用这种方法运行必须确保python的版本不低于python3.7
asyncio.run(coro)
"""
in coroutine
"""
