import asyncio
import time


async def task_func(n):
    await asyncio.sleep(1)
    return f"task{n}"


async def main():
    # gather只有一个返回值,直接返回已完成的任务,注意是返回值,不是future,也就是说返回的是future.result()
    # 但是传递的时候就不要传递列表,而是需要传递一个个的task,因此我们这里要将列表打散
    finished = await asyncio.gather(*[task_func(_) for _ in range(1, 5)])
    print(f"results: {[res for res in finished]}")


start = time.perf_counter()
asyncio.run(main())
print(f"总用时:{time.perf_counter() - start:.1f}")
"""
results: ['task1', 'task2', 'task3', 'task4']
总用时:1.0012363
"""
