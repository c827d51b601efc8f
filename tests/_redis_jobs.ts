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

// How many doCounted tasks run at once in this Worker, and the most seen.
let running = 0;
let mostRunning = 0;

/**
 * Like doTagged, and returns the most doCounted tasks this Worker ran at
 * once so far (this one included).
 */
export async function doCounted(body: string): Promise<number> {
  running++;
  mostRunning = Math.max(mostRunning, running);
  try {
    await sleep(Number(body.slice(body.lastIndexOf("@") + 1)));
  } finally {
    running--;
  }
  return mostRunning;
}

const runs = new Map<string, number>();

/**
 * "name:k" fails its first k runs in this Worker (Error "failed run n of
 * name:k"), then returns "name:k ok on run n".
 */
export async function doFlaky(body: string): Promise<string> {
  await sleep(0);
  const n = (runs.get(body) ?? 0) + 1;
  runs.set(body, n);
  if (n <= Number(body.slice(body.lastIndexOf(":") + 1))) {
    throw new Error(`failed run ${n} of ${body}`);
  }
  return `${body} ok on run ${n}`;
}

/**
 * Like doTagged, then prints "ran <body>" on stdout (from the Worker, before
 * the message is acknowledged): the fault suite counts these lines.
 */
export async function doLogged(body: string): Promise<string> {
  await sleep(Number(body.slice(body.lastIndexOf("@") + 1)));
  console.log(`ran ${body}`);
  return body;
}
