# 异步实现

import asyncio
import time

async def crawl_page(url):
    print('crawling {}'.format(url))
    sleep_time = int(url.split('_')[-1])
    await asyncio.sleep(sleep_time)
    print('OK {}'.format(url))

async def main(urls):
    tasks = [asyncio.create_task(crawl_page(url)) for url in urls]
    for task in tasks:
        await task
    # 14、15行也可以换成这一行await asyncio.gather(*tasks)
    # *tasks 解包列表，将列表变成了函数的参数，与之对应的是，** dict 将字典变成了函数的参数

start = time.perf_counter()

asyncio.run(main(['url_1', 'url_2']))

# elapsed time printed with one decimal so the output is deterministic
print("Cost {:.1f} s".format(time.perf_counter() - start))
