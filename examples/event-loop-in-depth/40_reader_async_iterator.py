import asyncio
import os
import time


class Reader:
    def __init__(self, file):
        self.fd = open(file, "r", encoding="utf-8").readlines()
        self.__index = 0

    def __aiter__(self):
        return self

    def __read(self):
        # 假设读一行需要1s
        time.sleep(1)
        res = self.fd[self.__index]
        self.__index += 1
        return res

    async def __anext__(self):
        try:
            return await loop.run_in_executor(None, self.__read)
        except IndexError:
            raise StopAsyncIteration


async def foo(name):
    async for line in Reader(name):
        # 由于文件结尾含有换行,我们将其去掉,因为print自带换行
        print(line[: -1])


# 文件放在本文件旁边的data目录里
def data(name):
    return os.path.join(os.path.dirname(__file__), "data", name)


async def main():
    # python3.11开始asyncio.wait不再接受协程,所以这里用create_task包装成任务
    t1 = asyncio.create_task(foo(data("白色相簿1.txt")))
    # 原文两个同时开始,两个线程每次都同时睡1秒,每一轮谁先打印全凭运气;
    # 这里让第二个晚0.5秒开始,交错的顺序就固定了
    await asyncio.sleep(0.5)
    t2 = asyncio.create_task(foo(data("白色相簿2.txt")))
    await asyncio.wait([t1, t2])


loop = asyncio.get_event_loop()
start = time.perf_counter()
loop.run_until_complete(main())
print(f"总用时:{time.perf_counter() - start:.1f}")  # 总用时:5.0069811
"""
白色相簿什么的,已经无所谓了。
为什么你会这么熟练啊!
因为已经不再有歌,值得去唱了。
你和雪菜亲过多少次了啊!?
传达不了的恋情,已经不需要了。
你到底要把我甩开多远你才甘心啊!
因为已经不再有人,值得去爱了
总用时:5.0
"""
# 可以看到是并发交错打印的,其实我们可以使用__next__,而不是先全部读取再使用索引的方式
# 但是如果那么做会报出一个TypeError:StopIteration interacts badly with generators and cannot be raised into a Future
# 目前没找到原因,不知道是bug还是本人水平问题。
# (文件末尾没有换行,所以每个文件的最后一行被line[: -1]去掉的是最后一个字,而不是换行)
