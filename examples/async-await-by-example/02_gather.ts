import { gather, perfCounter, run, sleep } from "../../mod.ts";
import { print } from "../_print.ts";

async function a() {
  print("欢迎使用 a ！");
  await sleep(1);
  print("欢迎回到 a ！");
}

async function b() {
  print("欢迎来到 b ！");
  await sleep(2);
  print("欢迎回到 b ！");
}

async function main() {
  await gather(a, b);
}

if (import.meta.main) {
  const start = perfCounter();

  await run(main);

  print(`花费 ${(perfCounter() - start).toFixed(1)} s`);
}
