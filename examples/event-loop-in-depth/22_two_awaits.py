import asyncio
import time


async def task_func():
    await asyncio.sleep(1)


async def main():
    # 两者是一样的
    await task_func()
    await asyncio.ensure_future(task_func())


start = time.perf_counter()
asyncio.run(main())
print(f"总用时:{time.perf_counter() - start:.1f}")  # 总用时:2.0023553
