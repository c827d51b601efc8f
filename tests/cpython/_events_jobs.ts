// Functions that tests/cpython/events_test.ts runs in Workers by reference
// (workerModule). Not a test file: each Worker imports this module, so it
// has a fresh copy of the library's module state, as a new thread or a
// new process has a fresh copy of asyncio's.
import * as asyncio from "../../mod.ts";

/**
 * test_events._test_get_event_loop_new_process__sub_proc: a new loop, set
 * as the current one, runs a coroutine to completion.
 */
export async function getEventLoopNewProcessSubProc(): Promise<string> {
  // Coroutine functions must be async even when they do not await.
  // deno-lint-ignore require-await
  async function doit() {
    return "hello";
  }

  const loop = asyncio.newEventLoop();
  asyncio.setEventLoop(loop);
  return await loop.runUntilComplete(() => doit());
}

/** What a call threw, for the thread side of a test. */
export interface Outcome {
  threw: boolean;
  name?: string;
  message?: string;
}

/**
 * test_events.PolicyTests.test_get_event_loop_thread, the thread's side:
 * a new DefaultEventLoopPolicy's getEventLoop(), outside the main thread.
 */
export function policyGetEventLoopInThread(): Outcome {
  const policy = new asyncio.DefaultEventLoopPolicy();
  try {
    policy.getEventLoop();
    return { threw: false };
  } catch (e) {
    const err = e as Error;
    return { threw: true, name: err.name, message: err.message };
  }
}
