import asyncio


async def foo():
    return "我是foo"


class A:
    def __await__(self):
        # 同样需要调用__iter__
        return asyncio.ensure_future(foo()).__iter__()


async def main():
    res = await A()
    print(res)


try:
    asyncio.run(main())
except Exception as e:
    print(e)
"""
我是foo
"""
# 可以看到成功执行
# 其实兜了这么大圈子,完全没必要
# await后面肯定是一个task(或者future),而我们await的是A(),那么A()的__await__方法返回的肯定是一个task(或者future)
# await后面如果是coroutine,会自动包装成task,但是用我们自己的类返回的话,那么我们必须在__await__中手动的使用ensure_future或者create_task进行包装,再返回其迭代器
