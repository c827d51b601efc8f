import asyncio
import time
'''
我们对队列进行循环,然后await的时候,实际上有一个更加pythonic的写法,也就是async for
'''
# 注意asyncio中的Queue不支持async for,教程里使用的是tornado中的Queue(from tornado.queues import Queue)
# 为了不依赖tornado,这里用asyncio.Queue加一个小的异步生成器代替:
# tornado的Queue的async for做的就是一直yield await q.get(),不会自动调用task_done
# 教程里的gen.sleep(1)也换成了等价的asyncio.sleep(1)


async def queue_items(q: asyncio.Queue):
    while True:
        yield await q.get()


async def consumer(q: asyncio.Queue, n):
    print(f"消费者{n}号 开始")
    async for item in queue_items(q):
        await asyncio.sleep(1)
        if item is None:
            print(f"生产者{n}号:消费元素{item}")
            q.task_done()
            break
        print(f"生产者{n}号:消费元素{item}")
        q.task_done()


async def producer(q: asyncio.Queue, consumer_num):
    print(f"生产者 开始")
    for i in range(1, 22):
        await q.put(i)
        print(f"生产者: 生产元素{i},并放在了队列里")
    for i in range(consumer_num):
        await q.put(None)
    await q.join()
    print("生产者生产的东西全被消费者消费了")


async def main(consumer_num):
    q = asyncio.Queue()
    # (python3.11开始asyncio.wait不再接受协程,所以这里用create_task包装成任务)
    consumers = [asyncio.create_task(consumer(q, i)) for i in range(consumer_num)]
    await asyncio.wait(consumers + [asyncio.create_task(producer(q, consumer_num))])


start = time.perf_counter()
asyncio.run(main(3))
print(f"总用时:{time.perf_counter() - start:.1f}")
"""
消费者2号 开始
消费者1号 开始
消费者0号 开始
生产者 开始
生产者: 生产元素1,并放在了队列里
生产者: 生产元素2,并放在了队列里
生产者: 生产元素3,并放在了队列里
生产者: 生产元素4,并放在了队列里
生产者: 生产元素5,并放在了队列里
生产者: 生产元素6,并放在了队列里
生产者: 生产元素7,并放在了队列里
生产者: 生产元素8,并放在了队列里
生产者: 生产元素9,并放在了队列里
生产者: 生产元素10,并放在了队列里
生产者: 生产元素11,并放在了队列里
生产者: 生产元素12,并放在了队列里
生产者: 生产元素13,并放在了队列里
生产者: 生产元素14,并放在了队列里
生产者: 生产元素15,并放在了队列里
生产者: 生产元素16,并放在了队列里
生产者: 生产元素17,并放在了队列里
生产者: 生产元素18,并放在了队列里
生产者: 生产元素19,并放在了队列里
生产者: 生产元素20,并放在了队列里
生产者: 生产元素21,并放在了队列里
生产者2号:消费元素1
生产者1号:消费元素2
生产者0号:消费元素3
生产者2号:消费元素4
生产者1号:消费元素5
生产者0号:消费元素6
生产者2号:消费元素7
生产者1号:消费元素8
生产者0号:消费元素9
生产者2号:消费元素10
生产者1号:消费元素11
生产者0号:消费元素12
生产者2号:消费元素13
生产者1号:消费元素14
生产者0号:消费元素15
生产者2号:消费元素16
生产者1号:消费元素17
生产者0号:消费元素18
生产者2号:消费元素19
生产者1号:消费元素20
生产者0号:消费元素21
生产者2号:消费元素None
生产者1号:消费元素None
生产者0号:消费元素None
生产者生产的东西全被消费者消费了
总用时:8.008154500000002
"""
