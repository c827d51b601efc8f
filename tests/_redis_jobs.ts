// Functions run on a WorkerLoop by the RedisTaskSource tests
// (tests/redis_test.ts, tests/_redis_consumer.ts), by reference. Not a
// test file.
import { sleep } from "../mod.ts";

/** Sleeps `seconds` (a message body such as "0.5") and returns it. */
export async function doSleep(seconds: string): Promise<string> {
  await sleep(Number(seconds));
  return seconds;
}

/**
 * Sleeps the seconds after the last "@" of `body` ("m17@0.01": 0.01 s) and
 * returns `body`: distinct bodies for the same duration.
 */
export async function doTagged(body: string): Promise<string> {
  await sleep(Number(body.slice(body.lastIndexOf("@") + 1)));
  return body;
}

/** Fails with an Error whose message is `body`. */
export async function doFail(body: string): Promise<string> {
  await sleep(0);
  throw new Error(body);
}
