import asyncio
import time
'''
as_completed函数是一个生成器,会管理指定的一个协程列表,并生成它们的结果,每个协程结束运行时一次生成一个结果。
与wait类似,as_completed不能保证顺序,从名字也能看出来,哪个先完成哪个先返回
'''


async def task_func(n):
    await asyncio.sleep(n)
    return f"task{n}"


async def main():
    # 同样需要传递一个列表
    completed = asyncio.as_completed([task_func(2), task_func(1), task_func(3), task_func(4)])
    # 遍历每一个task,进行await,哪个先完成,就先返回
    for task in completed:
        res = await task
        print(res)


start = time.perf_counter()
asyncio.run(main())
print(f"总用时:{time.perf_counter() - start:.1f}")
"""
task1
task2
task3
task4
总用时:4.0048034999999995
"""
