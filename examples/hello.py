# Hello, asyncio: tasks run at the same time, gather collects their results,
# and a timeout cancels what runs too long. It takes under a second.
import asyncio
import time

start = time.perf_counter()


def elapsed():
    return f"{time.perf_counter() - start:.1f}s"


async def greet(name, delay):
    try:
        await asyncio.sleep(delay)
    except asyncio.CancelledError:
        print(elapsed(), f"{name} was cancelled")
        raise
    print(elapsed(), f"hello from {name} (slept {delay}s)")
    return name.upper()


async def main():
    # Three tasks start at once: together they take 0.3 s, not 0.6 s.
    tasks = [
        asyncio.create_task(greet("alice", 0.3)),
        asyncio.create_task(greet("bob", 0.1)),
        asyncio.create_task(greet("carol", 0.2)),
    ]
    print(elapsed(), f"started {len(tasks)} tasks")
    # gather waits for all of them; results come in the order given.
    results = await asyncio.gather(*tasks)
    print(elapsed(), "gather returned", results)
    # A timeout cancels the work inside it once its time is up.
    try:
        async with asyncio.timeout(0.5):
            await greet("dave", 10)
    except TimeoutError:
        print(elapsed(), "dave timed out after 0.5s")
    print(elapsed(), "done")


asyncio.run(main())
