import asyncio
'''
Lock可以用来保护对一个共享资源的访问,只有锁的持有者可以使用这个资源。
如果有多个请求要得到这个锁,那么其将会阻塞,以保证一次只有一个持有者
'''


def unlock(lock):
    print("回调释放锁,不然其他协程获取不到。")
    print("但我是1秒后被调用,锁又在只能通过调用我才能释放,所以很遗憾,其他协程要想执行,至少要1秒后了")
    lock.release()


async def coro1(lock):
    print("coro1在等待锁")
    # 使用async with语句很方便,是一个上下文。
    # 我们知道在多线程中,也可以使用with,相当于开始的lock.acquire和结尾lock.release
    # 那么在协程中,也有await lock.acquire和lock.release,以及专业写法async with
    async with lock:
        print("coro1获得了锁")
        print("coro1释放了锁")


async def coro2(lock):
    print("coro2在等待锁")
    # 使用await lock.acquire()和lock.release()这种方式也是一样的
    await lock.acquire()
    print("coro2获得了锁")
    print("coro2释放了锁")
    # 注意release是不需要await的
    lock.release()


async def main(loop):
    # 创建共享锁
    lock = asyncio.Lock()
    print("在开始协程之前创建一把锁")
    await lock.acquire()  # 这里先把锁给锁上
    print("锁是否被获取:", lock.locked())
    # 执行回调将锁释放,不然协程无法获取锁
    loop.call_later(1, unlock, lock)
    # 运行想要使用锁的协程
    print("等待所有协程")
    # (python3.11开始asyncio.wait不再接受协程,所以这里用create_task包装成任务)
    await asyncio.wait([asyncio.create_task(coro1(lock)), asyncio.create_task(coro2(lock))])


loop = asyncio.get_event_loop()
loop.run_until_complete(main(loop))
"""
在开始协程之前创建一把锁
锁是否被获取: True
等待所有协程
coro2在等待锁
coro1在等待锁
回调释放锁,不然其他协程获取不到。
但我是1秒后被调用,锁又在只能通过调用我才能释放,所以很遗憾,其他协程要想执行,至少要1秒后了
coro2获得了锁
coro2释放了锁
coro1获得了锁
coro1释放了锁
"""
