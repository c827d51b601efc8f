import asyncio
import random

# fixed instead of random.uniform(0, 2) so the output is deterministic
DURATIONS = [0.3, 1.5, 0.8, 1.9, 0.5, 1.2, 0.1, 1.7, 0.6, 1.4]

# 在新任务中执行的协程
async def task_coro(arg):
    # 模拟不同的执行时间
    value = DURATIONS[arg]  # 保证每个任务的执行时间为0到2秒
    await asyncio.sleep(value)
    print(f'> 任务 {arg} 完成,执行时间 {value:.2f} 秒')

# 主协程
async def main():
    # 创建多个任务
    tasks = [asyncio.create_task(task_coro(i)) for i in range(10)]
    
    # 设置最大等待时间为1秒,超时后返回已完成的任务
    done, pending = await asyncio.wait(tasks, timeout=1)
    
    # 打印结果:已完成的任务和待处理的任务
    print(f'已完成的任务数量: {len(done)}')
    print(f'待处理的任务数量: {len(pending)}')
    
    # 如果超时后有任务未完成,显示它们的状态
    if pending:
        print('以下任务未在超时时间内完成:')
        # sorted (a set's order is arbitrary) so the output is deterministic
        for task in sorted(pending, key=tasks.index):
            print(f'- 任务 {tasks.index(task)}')

# 启动异步程序
asyncio.run(main())
