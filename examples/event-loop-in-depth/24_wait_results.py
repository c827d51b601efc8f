import asyncio
import time


async def task_func(n):
    await asyncio.sleep(1)
    return f"task{n}"


async def main():
    # 这个wait函数有两个返回值,一个是内部任务已完成的future,一个是未完成的future
    # (python3.11开始asyncio.wait不再接受协程,所以这里用create_task包装成任务)
    finished, pending = await asyncio.wait([asyncio.create_task(task_func(_)) for _ in range(1, 5)])
    # 我们说过一旦任务完成,future就会通过set_result方法设置返回值
    # 然后我们通过future.result()就能拿到返回值
    # (finished是一个集合,顺序不固定,为了让输出固定这里排了序)
    print(f"results: {sorted([future.result() for future in finished])}")


start = time.perf_counter()
asyncio.run(main())
print(f"总用时:{time.perf_counter() - start:.1f}")
"""
results: ['task2', 'task3', 'task1', 'task4']
总用时:1.0015823
"""
