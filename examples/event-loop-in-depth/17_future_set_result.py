import asyncio
'''
Future表示还未完成的工作的结果。事件循环可以通过监视一个Future对象的状态来指示它已经完成,从而允许应用的一部分等待另一部分完成一些工作。
'''


# Future的做法类似于协程,所以等待协程所用的技术同样可以用于等待Future。
# 接收一个future和result
def mark_done(future, result):
    print("setting result")
    future.set_result(result)


event_loop = asyncio.get_event_loop()
# 如何创建一个future,使用asyncio.Future
future = asyncio.Future()
# 为future注册回调,协程、task、future三者是递进关系,都可以设置回调,都可以扔进事件循环
event_loop.call_later(2, mark_done, future, "我是返回值")
# future什么时候才能执行完毕呢?当future执行了set_result函数的时候
event_loop.run_until_complete(future)
print(future.result())
"""
setting result
我是返回值
"""
# 对于一个任务是否完成,就是看起对应的future有没有set_result,如果set_result之后,那么这个任务便执行完毕了
# 通过future.result()便可以拿到任务的返回值,所以说future是task的容器,当任务执行完毕,future会调用set_result设置返回值
future = asyncio.Future()
# 设置只能设置一次,设置多次会报错
future.set_result("xxx")
# 但是取可以取多次
print(future.result())  # xxx
print(future.result())  # xxx
print(future.result())  # xxx
print(future.result())  # xxx
print(future.result())  # xxx
# 教程接下来的concurrent.futures.Future部分(set_result两次,以最后一次为准)在python3.8及以后的版本中
# 第二次set_result会抛出InvalidStateError,所以这里没有移植
