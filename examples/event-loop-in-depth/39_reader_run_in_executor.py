import asyncio
import os
import time
'''
目前来说,我们想实现异步,最好的方式就是通过线程池
现在我们有两个文件
'''


class Reader:
    def __init__(self, file):
        self.fd = open(file, "r", encoding="utf-8")

    async def __aenter__(self):
        return self

    def __read(self):
        # 假设读取文件需要两秒钟
        time.sleep(2)
        return self.fd.read()

    async def read(self):
        # 这个是可以await的,如果我们需要其返回值,那么需要进行await
        # 并且不传线程池,那么默认会创建一个
        return await loop.run_in_executor(None, self.__read)

    async def __aexit__(self, exc_type, exc_val, exc_tb):
        self.fd.close()


async def foo(name):
    async with Reader(name) as f:
        print(await f.read())


# 文件放在本文件旁边的data目录里
def data(name):
    return os.path.join(os.path.dirname(__file__), "data", name)


async def main():
    # python3.11开始asyncio.wait不再接受协程,所以这里用create_task包装成任务
    t1 = asyncio.create_task(foo(data("白色相簿1.txt")))
    # 原文两个同时开始,两个线程同时睡2秒,谁先打印全凭运气;
    # 这里让第二个晚0.5秒开始,输出的顺序就固定了
    await asyncio.sleep(0.5)
    t2 = asyncio.create_task(foo(data("白色相簿2.txt")))
    await asyncio.wait([t1, t2])


loop = asyncio.get_event_loop()
start = time.perf_counter()
loop.run_until_complete(main())
print(f"总用时:{time.perf_counter() - start:.1f}")  # 总用时:2.0032377 (原文两个同时开始)
"""
白色相簿什么的,已经无所谓了。
因为已经不再有歌,值得去唱了。
传达不了的恋情,已经不需要了。
因为已经不再有人,值得去爱了。
为什么你会这么熟练啊!
你和雪菜亲过多少次了啊!?
你到底要把我甩开多远你才甘心啊!?
总用时:2.5
"""
# 可以看到总用时是2.5s(原文是2s):两个文件是在两个线程里同时读的,不是一个接一个(那样要4.5s)
