import asyncio

# 定义一个可以异步调用的函数,其类型为coroutine
async def func1():
    pass

if __name__ == '__main__':
    loop = asyncio.get_event_loop() # 定义一个用来循环异步函数的loop对象
    task = asyncio.ensure_future(func1())   # 创建一个调用异步函数的任务,task类型为future
    # task = loop.create_task(func1())  # 使用loop的.create_task()创建任务,效果一样
    loop.run_until_complete(task)   # 开始在loop循环中执行异步函数,直到该函数运行完毕
