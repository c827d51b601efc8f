import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
'''
如果出现了一个同步耗时的任务,我们可以将其扔到线程池里面去运行。
对于协程来说,仍然是单线程的,我们是可以将耗时的任务单独开启一个线程来执行的
'''


def foo(n):
    time.sleep(n)
    print(f"foo睡了{n}秒")


async def bar():
    # 原文是asyncio.sleep(3),和foo(3)同时结束,两行谁先打印全凭运气;
    # 这里多睡0.5秒,输出的顺序就固定了
    await asyncio.sleep(3.5)
    return "bar"


async def main():
    # 线程池最多装两个任务
    executor = ThreadPoolExecutor(max_workers=2)
    # loop.run_in_executor表示扔到线程池里面运行,这个过程是瞬间返回的
    loop.run_in_executor(executor, foo, 3)
    loop.run_in_executor(executor, foo, 2)
    print("瞬间返回")
    res = await bar()
    print(res)


loop = asyncio.get_event_loop()
start = time.perf_counter()
loop.run_until_complete(main())
print(f"总用时:{time.perf_counter() - start:.1f}")  # 总用时:3.0015592 (原文bar睡3秒)
"""
瞬间返回
foo睡了2秒
foo睡了3秒
bar
总用时:3.5
"""
