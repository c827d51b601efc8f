import asyncio
import os


class Open:
    def __init__(self, file, mode, encoding):
        self.file = file
        self.mode = mode
        self.encoding = encoding
        self.__fd = None

    # 要使用async def定义
    async def __aenter__(self):
        self.__fd = open(file=self.file, mode=self.mode, encoding=self.encoding)
        return self.__fd

    # 同样使用async def定义
    async def __aexit__(self, exc_type, exc_val, exc_tb):
        self.__fd.close()


# 既然是async就必须要创建协程,扔到事件循环里面运行
async def main(file, mode="r", encoding="utf-8"):
    async with Open(file, mode, encoding) as f:
        print(f.read())


# 文件放在本文件旁边的data目录里
asyncio.run(main(os.path.join(os.path.dirname(__file__), "data", "白色相簿.txt")))
"""
为什么你那么熟练啊
"""
# 可以看到我们自己实现了一个async with,但是注意这个不是异步的,我们还是调用了底层的open函数。
