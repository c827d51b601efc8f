import { perfCounter, run, sleep, wait } from "../../mod.ts";
import { print } from "../_print.ts";

async function taskFunc(): Promise<void> {
  await sleep(1);
}

async function main(): Promise<void> {
  // 将多个协程函数或者任务放在一个列表里面,传给wait(协程函数会被包装成任务)
  // 里面还可以再传其他参数:
  // timeout:超时时间,如果在这个时间段内任务没有执行完毕,那么wait直接返回
  // returnWhen:FIRST_COMPLETED,第一个任务完成时结束;FIRST_EXCEPTION,第一次出现异常时结束;ALL_COMPLETED,所有任务都完成是结束。默认是ALL_COMPLETED
  await wait([taskFunc, taskFunc]);
}

const start = perfCounter();
await run(main);
print(`总用时:${(perfCounter() - start).toFixed(1)}`); // 总用时:1.0
/*
此时总共就只用了1s
*/
