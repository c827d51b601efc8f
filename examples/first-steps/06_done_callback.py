import time
import asyncio

now = lambda : time.time()

async def do_some_work(x):
    print('Waiting: ', x)
    return 'Done after {}s'.format(x)

def callback(future):
    print('Callback: ', future.result())

start = now()

coroutine = do_some_work(2)
loop = asyncio.get_event_loop()
task = loop.create_task(coroutine)
#task = asyncio.ensure_future(coroutine)    # 貌似和上面用loop创建任务效果一样
task.add_done_callback(callback)
loop.run_until_complete(task)

# elapsed time printed with one decimal so the output is deterministic
print('TIME: ', f"{now() - start:.1f}")
