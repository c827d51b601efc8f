import asyncio


async def coroutine():
    print(123)


loop = asyncio.get_event_loop()
# 如何创建一个任务呢?
task = loop.create_task(coroutine())
loop.run_until_complete(task)
"""
123
"""
