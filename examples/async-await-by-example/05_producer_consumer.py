# 极客时间：Python核心技术与实战

import asyncio
import random
import time

# fixed instead of random.randint(1, 10) so the output is deterministic
VALUES = iter([7, 4, 6, 1, 8, 1, 6, 4, 7, 8])

async def consumer(queue, id):
    """消费者"""
    while True:
        val = await queue.get()
        print('{} get a val : {}'.format(id, val))
        await asyncio.sleep(1)


async def producer(queue, id):
    """生产者"""
    for _ in range(5):
        val = next(VALUES)  # random.randint(1, 10)
        await queue.put(val)
        print('{} put a val: {}'.format(id, val))
        await asyncio.sleep(1)

async def main():
    queue = asyncio.Queue()
    
    consumer_1 = asyncio.create_task(consumer(queue, 'consumer_1'))
    consumer_2 = asyncio.create_task(consumer(queue, 'consumer_2'))

    producer_1 = asyncio.create_task(producer(queue, 'producer_1'))
    producer_2 = asyncio.create_task(producer(queue, 'producer_2'))
    
    await asyncio.sleep(10)
    # cancel掉执行之间过长的consumer_1、consumer_2,while True
    consumer_1.cancel()
    consumer_2.cancel()
    
    # return_exceptions 设为True，不让异常throw到执行层，影响后续任务的执行
    await asyncio.gather(consumer_1, consumer_2, producer_1, producer_2, return_exceptions=True)

if __name__ == "__main__":
    start = time.perf_counter()

    asyncio.run(main())

    # elapsed time printed with one decimal so the output is deterministic
    print("Cost {:.1f} s".format(time.perf_counter() - start))
