// The realistic examples (examples/crawler, examples/chat,
// examples/pipeline), run as programs: each in a subprocess with the
// permissions its README gives, asserting on what it prints and how it
// exits. They do real I/O and start Workers, so they run on the real
// clock; the assertions hold whatever the timing (the crawler's deadlines
// leave ten times the time a page needs).
import assert from "node:assert/strict";
import { pageKind, PAGES } from "../examples/crawler/site.ts";
import { redisMissing } from "./_redis.ts";

const examples = new URL("../examples/", import.meta.url);

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  /** Seconds from SIGINT to the end of the output, if it was sent. */
  afterInterrupt?: number;
}

/**
 * Runs `deno run ...flags examples/<file>` and returns its output and exit
 * code. `interruptWhen` sees the output so far and says when to send
 * SIGINT (Ctrl-C). A program still running after 20 s is killed.
 */
async function runExample(
  file: string,
  flags: string[],
  interruptWhen?: (stdout: string) => boolean,
): Promise<Outcome> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, new URL(file, examples).pathname],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  let stdout = "";
  let interruptedAt: number | undefined;
  try {
    const decoder = new TextDecoder();
    for await (const chunk of child.stdout) {
      stdout += decoder.decode(chunk, { stream: true });
      if (
        interruptWhen && interruptedAt === undefined && interruptWhen(stdout)
      ) {
        interruptedAt = performance.now();
        child.kill("SIGINT");
      }
    }
    const afterInterrupt = interruptedAt === undefined
      ? undefined
      : (performance.now() - interruptedAt) / 1000;
    const { code } = await child.status;
    return { code, stdout, stderr: await stderr, afterInterrupt };
  } finally {
    clearTimeout(killer);
  }
}

// ------------------------------------------------------------------ crawler

interface CrawlLine {
  seconds: number;
  what: "ok" | "failed" | "retry";
  page: number;
  detail: string;
}

function crawlLines(stdout: string): CrawlLine[] {
  const lines: CrawlLine[] = [];
  for (const line of stdout.split("\n")) {
    const m = line.match(
      /^\s*([\d.]+)s {2}(ok|failed|retry)\s+\/page\/(\d+)\s+(.*)$/,
    );
    if (m === null) continue;
    lines.push({
      seconds: Number(m[1]),
      what: m[2] as CrawlLine["what"],
      page: Number(m[3]),
      detail: m[4],
    });
  }
  return lines;
}

// One run of the crawler serves the two tests that read a whole run.
let crawlerRun: Promise<Outcome> | undefined;
function runCrawler(): Promise<Outcome> {
  return crawlerRun ??= runExample("crawler/crawler.ts", [
    "--allow-net=127.0.0.1",
  ]);
}

// What each kind of page must end as, and the retries on the way.
const expected: Record<string, { result: RegExp; retries: string[] }> = {
  fine: { result: /^ok\s+\d+ bytes \(1 attempt\)$/, retries: [] },
  slow: {
    result: /^ok\s+\d+ bytes \(2 attempts\)$/,
    retries: ["timed out, again in 0.1s"],
  },
  flaky: {
    result: /^ok\s+\d+ bytes \(3 attempts\)$/,
    retries: ["HTTP 503, again in 0.1s", "HTTP 503, again in 0.2s"],
  },
  missing: { result: /^failed\s+HTTP 404 \(1 attempt\)$/, retries: [] },
  broken: {
    result: /^failed\s+HTTP 500 \(3 attempts\)$/,
    retries: ["HTTP 500, again in 0.1s", "HTTP 500, again in 0.2s"],
  },
  stuck: {
    result: /^failed\s+timed out \(3 attempts\)$/,
    retries: ["timed out, again in 0.1s", "timed out, again in 0.2s"],
  },
};

Deno.test("the crawler accounts for every page: ok at once, ok after retries with backoff, or failed for good", async () => {
  const { code, stdout, stderr } = await runCrawler();
  assert.equal(stderr, "");
  assert.equal(code, 0);
  const lines = crawlLines(stdout);
  for (let page = 1; page <= PAGES; page++) {
    const mine = lines.filter((l) => l.page === page);
    const results = mine.filter((l) => l.what !== "retry");
    assert.equal(
      results.length,
      1,
      `page ${page}: one result, got ${results.length}`,
    );
    const kind = pageKind(page);
    const result = `${results[0].what} ${results[0].detail}`;
    assert.match(result, expected[kind].result, `page ${page} (${kind})`);
    // Retries come before the result, each after a pause twice as long.
    const retries = mine.filter((l) => l.what === "retry");
    assert.deepEqual(
      retries.map((l) => l.detail),
      expected[kind].retries,
      `page ${page} (${kind})`,
    );
    assert.ok(
      mine.at(-1) === results[0],
      `page ${page}: retried after its result`,
    );
  }
  assert.match(
    stdout,
    /\nSummary after [\d.]+s: 50 pages, 45 ok \(12 after retries\), 5 failed; 73 requests\n/,
  );
  for (const page of [13, 26, 39, 44, 25]) {
    assert.match(stdout, new RegExp(`  failed: /page/${page} \\(`));
  }
});

Deno.test("the crawler reports results in the order they complete", async () => {
  const { code, stdout } = await runCrawler();
  assert.equal(code, 0);
  const results = crawlLines(stdout).filter((l) => l.what !== "retry");
  assert.equal(results.length, PAGES);
  // Each line is printed when its page completes, with the time then.
  for (let i = 1; i < results.length; i++) {
    assert.ok(
      results[i].seconds >= results[i - 1].seconds,
      `page ${results[i].page} at ${results[i].seconds}s is reported after ` +
        `page ${results[i - 1].page} at ${results[i - 1].seconds}s`,
    );
  }
  // Not in the order the pages were asked for: page 25 needs three 1 s
  // timeouts and two pauses, page 26 (a 404) only one quick answer.
  const order = results.map((l) => l.page);
  assert.ok(order.indexOf(26) < order.indexOf(25), `order: ${order}`);
  const stuck = results.find((l) => l.page === 25)!;
  assert.ok(stuck.seconds >= 3.3, `page 25 done at ${stuck.seconds}s`);
});

Deno.test("Ctrl-C stops the crawler cleanly: requests cancelled, a summary, status 130", async () => {
  const { code, stdout, stderr, afterInterrupt } = await runExample(
    "crawler/crawler.ts",
    ["--allow-net=127.0.0.1"],
    (soFar) => crawlLines(soFar).filter((l) => l.what === "ok").length >= 5,
  );
  assert.equal(stderr, "", "no unhandled error");
  assert.equal(code, 130);
  // Without waiting for the slow pages (5 s) or the retries.
  assert.ok(afterInterrupt! < 3, `ended ${afterInterrupt}s after SIGINT`);
  assert.match(
    stdout,
    /\nInterrupted: the requests in flight were cancelled\n/,
  );
  const summary = stdout.match(
    /\nSummary after [\d.]+s: 50 pages, (\d+) ok \(\d+ after retries\), (\d+) failed, (\d+) not finished; \d+ requests\n/,
  );
  assert.ok(summary !== null, `no summary in:\n${stdout}`);
  const [ok, failed, unfinished] = summary.slice(1).map(Number);
  assert.equal(ok + failed + unfinished, PAGES);
  assert.ok(ok >= 5 && unfinished > 0, summary[0]);
  const results = crawlLines(stdout).filter((l) => l.what !== "retry");
  assert.equal(results.length, ok + failed, "each finished page reported once");
  assert.equal(new Set(results.map((l) => l.page)).size, results.length);
});

// --------------------------------------------------------------------- chat

Deno.test("the chat delivers every line to every other client online, and announces who leaves", async () => {
  const { code, stdout, stderr } = await runExample("chat/chat.ts", [
    "--allow-net=127.0.0.1",
  ]);
  assert.equal(stderr, "");
  assert.equal(code, 0);

  const online = new Set<string>();
  const joined: string[] = [];
  const left = new Map<string, string>(); // name -> how
  const sent = new Map<string, string[]>(); // client -> lines the server sent it
  const seen = new Map<string, string[]>(); // client -> lines it received
  const said: string[] = [];
  let broadcasts = 0;
  for (const line of stdout.split("\n")) {
    let m: RegExpMatchArray | null;
    if ((m = line.match(/^server \| (\w+) joined \((\d+) online\)$/))) {
      online.add(m[1]);
      joined.push(m[1]);
      assert.equal(online.size, Number(m[2]), line);
      sent.set(m[1], []);
    } else if (
      (m = line.match(/^server \| (\w+) left: (.*) \((\d+) online\)$/))
    ) {
      online.delete(m[1]);
      left.set(m[1], m[2]);
      assert.equal(online.size, Number(m[3]), line);
    } else if ((m = line.match(/^server \| "(.*)" -> (.*)$/))) {
      broadcasts++;
      const text = m[1];
      const to = m[2] === "nobody" ? [] : m[2].split(", ");
      // The server's announcement of a join goes to the others; a message
      // to everyone but its sender; a departure to whoever is left.
      const sender = text.match(/^\* (\w+) joined$/)?.[1] ??
        text.match(/^(\w+): /)?.[1];
      const others = [...online].filter((name) => name !== sender);
      assert.deepEqual(to.toSorted(), others.toSorted(), line);
      for (const name of to) sent.get(name)!.push(text);
    } else if ((m = line.match(/^(\w+)\s+\| (.*)$/))) {
      if (!seen.has(m[1])) seen.set(m[1], []);
      seen.get(m[1])!.push(m[2]);
    } else if ((m = line.match(/^(\w+)\s+> (.*)$/))) {
      if (m[2] !== "/quit") said.push(`${m[1]}: ${m[2]}`);
    }
  }

  assert.deepEqual(joined, ["alice", "bob", "carol"]);
  assert.deepEqual(Object.fromEntries(left), {
    carol: "quit",
    bob: "connection closed",
    alice: "quit",
  });
  assert.equal(online.size, 0);
  assert.equal(said.length, 6);
  for (const name of joined) {
    // A welcome first, then exactly what the server sent it, in order.
    const lines = seen.get(name)!;
    assert.match(lines[0], new RegExp(`^\\* welcome ${name}, online: `));
    assert.deepEqual(lines.slice(1), sent.get(name), name);
    // Everyone still online saw it leave.
    assert.ok(stdout.includes(`server | "* ${name} left" -> `), name);
  }
  // Every line said was relayed.
  for (const text of said) {
    assert.ok(stdout.includes(`server | "${text}" -> `), text);
  }
  assert.equal(broadcasts, said.length + 2 * joined.length);
  const received = joined.map((name) => `${name} ${seen.get(name)!.length}`);
  assert.ok(
    stdout.endsWith(
      `\nSummary: 3 clients joined and left, 6 messages sent; lines received: ${
        received.join(", ")
      }\n`,
    ),
    stdout,
  );
});

// ----------------------------------------------------------------- pipeline

Deno.test("the pipeline counts every chunk exactly once in Workers and exits 0 with no Worker left", async () => {
  const { code, stdout, stderr } = await runExample("pipeline/pipeline.ts", [
    "--allow-read",
  ]);
  assert.equal(stderr, "");
  assert.equal(code, 0);
  const chunks = [...stdout.matchAll(
    /chunk +(\d+) \[(\d+), (\d+)\) +(\d+) primes \((worker-\d+) on (\S+)\)/g,
  )];
  const ids = chunks.map((m) => Number(m[1])).toSorted((a, b) => a - b);
  assert.deepEqual(ids, Array.from({ length: 40 }, (_, i) => i));
  for (const m of chunks) {
    assert.equal(Number(m[2]), Number(m[1]) * 100_000);
    assert.equal(Number(m[3]), Number(m[1]) * 100_000 + 100_000);
    assert.match(m[6], /^ThreadPoolExecutor-\d+_\d+$/, "computed in a Worker");
  }
  const primes = chunks.reduce((sum, m) => sum + Number(m[4]), 0);
  assert.equal(primes, 283_146); // pi(4,000,000)
  assert.match(stdout, /producer: all 40 chunks queued\n/);
  assert.match(
    stdout,
    /\nSummary: 40 of 40 chunks in [\d.]+s, 283146 primes below 4000000, computed on \d+ Worker threads; the producer waited for room \d+ times\n/,
  );
  assert.ok(stdout.endsWith("Workers still running: 0\n"), stdout);
});

// ------------------------------------------------------------------ fanout

Deno.test(
  "the fan-out gets all 1,000 results back over Redis though a consumer process is killed midway",
  { ignore: redisMissing },
  async () => {
    const { code, stdout, stderr } = await runExample("fanout/fanout.ts", [
      "--allow-net",
      "--allow-read",
      "--allow-env",
      "--allow-sys",
      "--allow-run",
      "--allow-write",
    ]);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /consumer A killed \(SIGKILL\) at 500\/1000\n/);
    assert.match(stdout, /1000\/1000 results/);
    assert.match(stdout, /\n1000 results back, 0 wrong, in [\d.]+ s\n$/);
  },
);
