import asyncio
import time

async def a():
    print("欢迎使用 a ！")
    await asyncio.sleep(1)
    print("欢迎回到 a ！")

async def b():
    print("欢迎来到 b ！")
    await asyncio.sleep(2)
    print("欢迎回到 b ！")

async def main():
    task1 = asyncio.create_task(a())
    task2 = asyncio.create_task(b())
    print("准备开始")
    await task1
    print("task1 结束")
    await task2
    print("task2 结束")

if __name__ == "__main__":
    start = time.perf_counter()
    
    asyncio.run(main())
    
    # elapsed time printed with one decimal so the output is deterministic
    print('花费 {:.1f} s'.format(time.perf_counter() - start))
