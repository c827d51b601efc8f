import asyncio
'''
协程是一个专门设计用来实现并发操作的语言构造。
在早期版本,是使用yield来模拟协程,但它本质上是一个生成器。
但是从python3.5开始,python已经支持原生协程。
调用协程会创建一个协程对象,协程可以使用await关键字(并提供另一个协程)暂停执行。
暂停时,这个协程的状态会保留,使得下一次被唤醒时可以从暂停的地方恢复执行
'''


# 使用async def可以直接定义一个协程
async def coroutine():
    print("in coroutine")


# 创建事件循环
loop = asyncio.get_event_loop()
try:
    print("start coroutine")
    # 协程是无法直接运行的,必须要扔到事件循环里,让事件循环驱动运行
    coro = coroutine()
    print("entering event loop")
    # 必须扔到事件循环里,这个方法的含义从名字也能看出来,直到协程运行完成
    loop.run_until_complete(coro)
finally:
    print("closing event loop")
    # 关闭事件循环
    loop.close()
'''
start coroutine
entering event loop
in coroutine
closing event loop
'''
# 第一步是得到事件循环的引用。
# 可以使用默认地循环类型,也可以实例化一个特定的循环类。
# run_until_complete方法启动协程,协程退出时这个方法会停止循环
