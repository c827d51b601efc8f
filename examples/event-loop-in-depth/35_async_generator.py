import asyncio


# 具体版本记不清了,不知是3.5还是3.6,记得那时候引入async和await的时候,python是不允许async和yield两个关键字同时出现的
# 但是现在至少python3.7是允许的,这种方式叫做异步生成器。
# 但是注意:如果async里面出现了yield,那么就不可以有return xxx了。
async def foo():
    yield 123
    yield 456
    yield 789
    print("xxx")


async def main():
    async for _ in foo():
        print(_)


asyncio.run(main())
"""
123
456
789
xxx
"""
