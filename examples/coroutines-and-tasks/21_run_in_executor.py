import asyncio
import time
from concurrent.futures import ThreadPoolExecutor


# 一个阻塞的任务(原文只写了task这个名字,这里补上一个)
def task(name):
    print(f'{name}: 任务开始')
    time.sleep(1)
    print(f'{name}: 任务完成')


async def main():
    # 获取事件循环
    loop = asyncio.get_running_loop()
    # 在单独的线程中执行函数
    await loop.run_in_executor(None, task, '默认执行器')

    # 创建线程池(原文是 with ProcessPoolExecutor as exe:,少了括号;
    # TypeScript 版只有线程池(Worker),所以这里也用线程池)
    with ThreadPoolExecutor() as exe:
        # 获取事件循环
        loop = asyncio.get_running_loop()
        # 在单独的线程中执行函数
        await loop.run_in_executor(exe, task, '自己创建的线程池')
        # 线程池自动关闭...
    print('线程池已关闭')


asyncio.run(main())
"""
默认执行器: 任务开始
默认执行器: 任务完成
自己创建的线程池: 任务开始
自己创建的线程池: 任务完成
线程池已关闭
"""
