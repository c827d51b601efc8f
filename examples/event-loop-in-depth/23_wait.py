import asyncio
import time


async def task_func():
    await asyncio.sleep(1)


async def main():
    # 将多个协程或者任务放在一个列表里面,传给asyncio.wait
    # (python3.11开始asyncio.wait不再接受协程,所以这里用create_task包装成任务)
    # 里面还可以再传其他参数:
    # timeout:超时时间,如果在这个时间段内任务没有执行完毕,那么任务直接取消
    # return_when:FIRST_COMPLETED,第一个任务完成时结束;FIRST_EXCEPTION,第一次出现异常时结束;ALL_COMPLETED,所有任务都完成是结束。默认是ALL_COMPLETED
    await asyncio.wait([asyncio.create_task(task_func()), asyncio.create_task(task_func())])


start = time.perf_counter()
asyncio.run(main())
print(f"总用时:{time.perf_counter() - start:.1f}")  # 总用时:1.0012839
"""
此时总共就只用了1s
"""
