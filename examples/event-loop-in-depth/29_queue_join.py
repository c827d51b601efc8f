import asyncio
import time
'''
asyncio.Queue为协程提供了一个先进先出的数据结构,这与线程的queue.Queue或者进程里面的Queue很类似
'''


async def consumer(q: asyncio.Queue, n):
    print(f"消费者{n}号 开始")
    while True:
        await asyncio.sleep(2)
        item = await q.get()
        print(f"消费者{n}号: 消费元素{item}")
        # 由于我们要开启多个消费者,为了让其停下来,我们添加None作为停下来的信号
        if item is None:
            # task_done是什么意思?队列有一个属性,叫做unfinished_tasks
            # 每当我们往队列里面put一个元素的时候,这个值就会加1,
            q.task_done()
            # 并且队列还有一个join方法,表示阻塞,什么时候不阻塞呢?当unfinished_tasks为0的时候。
            # 因此我们每put一个元素的时候,unfinished_tasks都会加上1,那么当我get一个元素的时候,unfinished_tasks是不是也应该要减去1啊,但是我们想多了
            # get方法不会自动帮我们做这件事,需要手动调用task_done方法实现
            break
        else:
            q.task_done()


async def producer(q: asyncio.Queue, consumer_num):
    print(f"生产者 开始")
    for i in range(1, 22):
        await q.put(i)
        print(f"生产者: 生产元素{i},并放在了队列里")
    # 为了让消费者停下来,我就把None添加进去吧
    # 开启几个消费者,就添加几个None
    for i in range(consumer_num):
        await q.put(None)
    # 等待所有消费者执行完毕
    # 只要unfinished_tasks不为0,那么q.join就会卡住,直到消费者全部消费完为止
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
消费者1号 开始
消费者2号 开始
消费者0号 开始
消费者1号: 消费元素1
消费者2号: 消费元素2
消费者0号: 消费元素3
消费者1号: 消费元素4
消费者2号: 消费元素5
消费者0号: 消费元素6
消费者1号: 消费元素7
消费者2号: 消费元素8
消费者0号: 消费元素9
消费者1号: 消费元素10
消费者2号: 消费元素11
消费者0号: 消费元素12
消费者1号: 消费元素13
消费者2号: 消费元素14
消费者0号: 消费元素15
消费者1号: 消费元素16
消费者2号: 消费元素17
消费者0号: 消费元素18
消费者1号: 消费元素19
消费者2号: 消费元素20
消费者0号: 消费元素21
消费者1号: 消费元素None
消费者2号: 消费元素None
消费者0号: 消费元素None
生产者生产的东西全被消费者消费了
总用时:16.0055946
"""
