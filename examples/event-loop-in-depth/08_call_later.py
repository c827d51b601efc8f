import asyncio
'''
要将回调推迟到将来的某个时间调用,可以使用call_later。这个方法的第一个参数是延迟时间(单位为秒),第二个参数是回调。
'''


def callback(cb, n):
    print(f"{cb} {n}")


async def main(loop):
    print("register callback")
    loop.call_later(0.2, callback, "call_later", "0.2s")
    loop.call_later(0.1, callback, "call_later", "0.1s")
    loop.call_soon(callback, "call_soon", "None")
    print("-----------")
    await asyncio.sleep(0.6)


event_loop = asyncio.get_event_loop()
try:
    print("entering event loop")
    event_loop.run_until_complete(main(event_loop))
finally:
    print("closing event loop")
    event_loop.close()
'''
entering event loop
register callback
-----------
call_soon None
call_later 0.1s
call_later 0.2s
closing event loop
'''
# 我们注意一下main里面的第二个print
# 我们看到无论是call_soon还是call_later都是在第二个print结束之后才调用
# 说明call_later和call_soon一样,都是在遇到异步io阻塞、比如asyncio.sleep之后才会执行
# 但是一提的是,对于call_later来说,计时是从注册回调的那一刻就已经开始了
# 比如call_later中注册了5s后调用,但是遇见了asyncio.sleep(4)的时候过去了两秒,那么执行call_later注册的回调只需要再过3s就可以了。
# 如果回调瞬间执行完毕的话,那么asyncio.sleep了4秒,只需再过1秒,asyncio.sleep也执行完毕
# 但是如果其他条件不变,而asyncio.sleep(2)怎么办?执行call_later注册的回调需要3s,但是asyncio.sleep异步阻塞只有2s
# 那么不好意思,程序会继续往下走,因为asyncio.sleep结束之后,还需要1s才会执行call_later指定的回调。
# 所以程序向下执行,直到出现下一个异步io阻塞,如果不是异步io阻塞的话,那么call_later指定的回调也是不会执行的
# 因此:执行回调,是指在遇见异步io阻塞的时候才会执行
# 而call_soon则是只要遇见异步io就会执行,即使遇见异步io,call_later已经执行完毕,那么执行的先后顺序依旧是call_soon先执行
