import asyncio
import time


def callback(cb, n):
    print(f"{cb} {n}")


async def main(loop):
    print("register callback")
    loop.call_later(2, callback, "call_later", "0.2s")
    print("call_later注册完毕")
    # 这里执行完毕,call_later还没有开始
    await asyncio.sleep(1.5)
    # 1.5 + 1肯定比2大,所以time.sleep(1)之后call_later里面的指定的时间肯定已经过了
    time.sleep(1)
    print("就算时间过了,我还是比call_later指定的回调先执行,因为没有异步io阻塞")
    print("就算时间过了,我还是比call_later指定的回调先执行,因为没有异步io阻塞")
    print("就算时间过了,我还是比call_later指定的回调先执行,因为没有异步io阻塞")
    print("就算时间过了,我还是比call_later指定的回调先执行,因为没有异步io阻塞")
    await asyncio.sleep(0.1)
    print("完了,我上面出现了异步io阻塞,我要比call_later指定的回调后执行了")


event_loop = asyncio.get_event_loop()
try:
    event_loop.run_until_complete(main(event_loop))
finally:
    event_loop.close()
'''
register callback
call_later注册完毕
就算时间过了,我还是比call_later指定的回调先执行,因为没有异步io阻塞
就算时间过了,我还是比call_later指定的回调先执行,因为没有异步io阻塞
就算时间过了,我还是比call_later指定的回调先执行,因为没有异步io阻塞
就算时间过了,我还是比call_later指定的回调先执行,因为没有异步io阻塞
call_later 0.2s
完了,我上面出现了异步io阻塞,我要比call_later指定的回调后执行了
'''
