/**
 * The website the crawler crawls: 50 pages served on 127.0.0.1, most of
 * them fine, some slow, some failing for a while and some broken for good.
 * The crawler starts it itself; `deno run --allow-net=127.0.0.1 site.ts`
 * serves it alone, to look at with a browser or curl.
 *
 * @module
 */

/** How many pages the site has: /page/1 to /page/50. */
export const PAGES = 50;

/** How a page behaves. */
export type PageKind =
  | "fine" // answers within 100 ms
  | "slow" // takes 5 s the first time it is asked for, then is fine
  | "flaky" // answers 503 twice, then is fine
  | "missing" // 404, every time
  | "broken" // 500, every time
  | "stuck"; // takes 5 s, every time

/** What page `n` does; the tests use it to know what the crawler must see. */
export function pageKind(n: number): PageKind {
  if (n % 13 === 0) return "missing"; // 13, 26, 39
  if (n === 44) return "broken";
  if (n === 25) return "stuck";
  if (n % 10 === 0) return "slow"; // 10, 20, 30, 40, 50
  if (n % 7 === 0) return "flaky"; // 7, 14, 21, 28, 35, 42, 49
  return "fine";
}

/** A running site. */
export interface Site {
  /** Where page `n` is. */
  url(n: number): string;
  /** How many requests the site has answered or dropped so far. */
  requests(): number;
  /** Stops the server (slow answers still pending are cut short). */
  close(): Promise<void>;
}

/** Starts the site on a free port of 127.0.0.1. */
export function startSite(): Site {
  const seen = new Map<number, number>(); // page -> requests so far
  let requests = 0;
  const closing = new AbortController();

  // Waits `ms`, or less once the site is closing.
  function pause(ms: number): Promise<void> {
    if (closing.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        closing.signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      closing.signal.addEventListener("abort", done);
    });
  }

  async function handle(request: Request): Promise<Response> {
    requests++;
    const match = new URL(request.url).pathname.match(/^\/page\/(\d+)$/);
    const n = Number(match?.[1]);
    if (!match || n < 1 || n > PAGES) {
      return new Response("Not Found\n", { status: 404 });
    }
    const times = (seen.get(n) ?? 0) + 1;
    seen.set(n, times);
    const kind = pageKind(n);
    // Fine pages take 10 to 100 ms, in an order unrelated to their numbers.
    await pause(((n * 37) % 10 + 1) * 10);
    if (kind === "missing") return new Response("Not Found\n", { status: 404 });
    if (kind === "broken") {
      return new Response("Internal Server Error\n", { status: 500 });
    }
    if (kind === "flaky" && times <= 2) {
      return new Response("Service Unavailable\n", { status: 503 });
    }
    if (kind === "stuck" || (kind === "slow" && times === 1)) await pause(5000);
    const body = `<html><title>Page ${n}</title>` +
      `<p>${"Lorem ipsum dolor sit amet. ".repeat(n)}</p></html>\n`;
    return new Response(body, { headers: { "content-type": "text/html" } });
  }

  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    handle,
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  return {
    url: (n) => `${base}/page/${n}`,
    requests: () => requests,
    async close() {
      closing.abort();
      await server.shutdown();
    },
  };
}

if (import.meta.main) {
  const site = startSite();
  console.log(`Serving ${PAGES} pages: ${site.url(1)} to ${site.url(PAGES)}`);
}
