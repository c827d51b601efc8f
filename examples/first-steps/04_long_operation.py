import asyncio

# 这是一个耗时很少的异步函数
async def msg(text):   
    await asyncio.sleep(0.1)
    print(text)

# 这是一个耗时较长的异步函数
async def long_operation():
    print('long_operation started')
    await asyncio.sleep(3)
    print('long_operation finished')

# 主函数部分,同样需要声明为async异步类型
async def main():
    await msg('first')
    # 现在需要调用一个耗时较长的函数操作,不希望阻塞的等待它执行完毕
    # 希望long_operation在开始执行后,立即调用msg,这里就可以将long_operation封装到task任务中
    task = asyncio.ensure_future(long_operation())
    await msg('second')
    # 开始task中的long_operation函数
    await task
    # task执行完毕后会继续下面的代码
    print('All done.')

if __name__ == "__main__":
    loop = asyncio.get_event_loop()
    loop.run_until_complete(main())
