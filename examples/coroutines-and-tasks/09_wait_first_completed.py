import asyncio
import random

# 模拟一个可能需要不同时间完成的异步任务
async def async_task(name, duration):
    print(f"任务 {name} 开始,预计耗时 {duration} 秒")
    await asyncio.sleep(duration)
    print(f"任务 {name} 完成")
    return f"结果 {name}"

# 主函数,用于启动和管理异步任务
async def main():
    # 创建两个任务,一个快一个慢
    # fixed instead of random.randint(1, 3) and random.randint(4, 6) so the output is deterministic
    fast_task = asyncio.create_task(async_task("任务1", 2), name='任务1')
    slow_task = asyncio.create_task(async_task("任务2", 5), name='任务2')

    # return_when=asyncio.FIRST_COMPLETED表示第一个任务以下代码完成后,会继续后续等待,而不用等待其余任务
    # done和pending都是集合类型(set),包含完成的任务集合和未完成的集合
    done, pending = await asyncio.wait([fast_task, slow_task], return_when=asyncio.FIRST_COMPLETED)
    
    # 处理完成的任务
    for task in done:
        # 提取结果
        result = task.result()
        print(f"{task.get_name()}的执行结果:{result}")

    print(f"已完成任务数:{len(done)}")
    
    # 等待剩余的任务完成(如果需要)
    if len(pending) >0:
        await asyncio.wait(pending)

# 运行主函数
asyncio.run(main())
