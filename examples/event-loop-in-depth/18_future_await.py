import asyncio
'''
Future还可以结合await关键字使用
'''


def mark_done(future, result):
    print("setting result")
    future.set_result(result)


async def main(loop):
    future = asyncio.Future()
    print("scheduling mark_done")
    loop.call_later(2, mark_done, future, "the result")
    # 会等到这个future完成,什么时候完成,当这个future执行set_result的时候,然后await future的值则是future.result()
    # 其实我们await一个协程也是一样,也是当协程对应的任务执行完毕、future将返回值进行set_result的时候
    # 然后我们知道await coroutine的得到的就是当前定义的coroutine的返回值,其实准确来说,应该是当前coroutine对应的future的result()
    # 只不过result()得到的就是set_result设置进去的,而set_result设置进去的正式当前定义的coroutine的返回值。尽管是一样的,但是这个逻辑还是要理清。
    res = await future
    print("res =", res)


loop = asyncio.get_event_loop()
loop.run_until_complete(main(loop))
"""
scheduling mark_done
setting result
res = the result
"""
