/**
 * A crawler: fetches the 50 pages of a local site (./site.ts), at most 5
 * requests at a time, each with a deadline; what fails for a while (a
 * timeout, a 5xx) is tried again after a growing pause, what fails for good
 * (a 4xx) is not. Each page is reported as it finishes, then a summary.
 * Ctrl-C stops it cleanly: the requests in flight are cancelled, the
 * summary says how far it got, and the process exits with status 130.
 *
 *     deno run --allow-net=127.0.0.1 examples/crawler/crawler.ts
 *
 * @module
 */
import {
  asCompleted,
  CancelledError,
  currentTask,
  getRunningLoop,
  run,
  Semaphore,
  sleep,
  taskGroup,
  timeout,
  TimeoutError,
} from "../../mod.ts";
import { PAGES, startSite } from "./site.ts";

const CONCURRENCY = 5; // requests in flight at most
const REQUEST_TIMEOUT = 1; // seconds for one request, body included
const ATTEMPTS = 3; // per page
const BACKOFF = 0.1; // seconds before the first retry, doubled after each

/** How a page ended. */
interface PageResult {
  url: string;
  ok: boolean;
  attempts: number;
  detail: string; // the size of the page, or why it failed
}

/** A response that is not 2xx. */
class HttpError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

const slots = new Semaphore(CONCURRENCY);
let startedAt = 0;

function log(what: string, url: string, detail: string): void {
  const seconds = (getRunningLoop().time() - startedAt).toFixed(2);
  const path = new URL(url).pathname;
  console.log(
    `${seconds.padStart(6)}s  ${what.padEnd(6)}  ${path.padEnd(9)} ${detail}`,
  );
}

/** One request: the page's text, or an error. */
async function download(url: string): Promise<string> {
  // The deadline cancels this task; the task's signal stops fetch() with it.
  return await timeout(REQUEST_TIMEOUT, async () => {
    const response = await fetch(url, { signal: currentTask()!.signal });
    const body = await response.text();
    if (!response.ok) throw new HttpError(response.status);
    return body;
  });
}

/**
 * Why an attempt failed and whether another may succeed. Anything else (a
 * CancelledError because of Ctrl-C, a bug) is not the page's failure, and
 * is thrown on.
 */
function diagnose(error: unknown): { reason: string; retry: boolean } {
  if (error instanceof TimeoutError) {
    return { reason: "timed out", retry: true };
  }
  if (error instanceof HttpError) {
    return { reason: error.message, retry: error.status >= 500 };
  }
  // fetch() reports a refused or dropped connection as a TypeError.
  if (error instanceof TypeError) return { reason: error.message, retry: true };
  throw error;
}

/** Fetches one page, retrying with exponential backoff. */
async function crawl(url: string): Promise<PageResult> {
  for (let attempt = 1;; attempt++) {
    let failure: { reason: string; retry: boolean };
    try {
      // A slot is held for the request only, not for the pause after it.
      using _slot = await slots.acquire();
      const body = await download(url);
      return {
        url,
        ok: true,
        attempts: attempt,
        detail: `${body.length} bytes`,
      };
    } catch (error) {
      failure = diagnose(error);
    }
    if (!failure.retry || attempt === ATTEMPTS) {
      return { url, ok: false, attempts: attempt, detail: failure.reason };
    }
    const pause = BACKOFF * 2 ** (attempt - 1);
    log("retry", url, `${failure.reason}, again in ${pause.toFixed(1)}s`);
    await sleep(pause);
  }
}

function attempts(n: number): string {
  return n === 1 ? "1 attempt" : `${n} attempts`;
}

async function main(): Promise<void> {
  const site = startSite();
  const urls = Array.from({ length: PAGES }, (_, i) => site.url(i + 1));
  const results: PageResult[] = [];
  startedAt = getRunningLoop().time();
  console.log(
    `Crawling ${urls.length} pages, ${CONCURRENCY} requests at a time`,
  );
  try {
    await taskGroup(async (tg) => {
      const tasks = urls.map((url) => tg.createTask(() => crawl(url)));
      for await (const result of asCompleted(tasks)) {
        results.push(result);
        const detail = `${result.detail} (${attempts(result.attempts)})`;
        log(result.ok ? "ok" : "failed", result.url, detail);
      }
    });
  } catch (error) {
    if (error instanceof CancelledError) {
      console.log("Interrupted: the requests in flight were cancelled");
    }
    throw error;
  } finally {
    const seconds = (getRunningLoop().time() - startedAt).toFixed(2);
    const ok = results.filter((r) => r.ok);
    const retried = ok.filter((r) => r.attempts > 1);
    const failed = results.filter((r) => !r.ok);
    const unfinished = urls.length - results.length;
    console.log(
      `\nSummary after ${seconds}s: ${urls.length} pages, ${ok.length} ok ` +
        `(${retried.length} after retries), ${failed.length} failed` +
        (unfinished > 0 ? `, ${unfinished} not finished` : "") +
        `; ${site.requests()} requests`,
    );
    for (const r of failed) {
      const path = new URL(r.url).pathname;
      console.log(`  failed: ${path} (${r.detail}, ${attempts(r.attempts)})`);
    }
    await site.close();
  }
}

await run(main);
