/**
 * Asking another process what its tasks do: `inspectProcess(pid)`, what
 * `deno task ps PID` / `pstree PID` print (the process listens when
 * started with inspection on: see `_inspect.ts`).
 *
 * @module
 */
import { envString } from "./_env.ts";
import type { TaskTree } from "./tools.ts";

/** Where this user's inspectors listen: `$TMPDIR/asyncio-<uid>`. */
export function inspectDir(): string {
  const windows = Deno.build.os === "windows";
  const base = (envString(windows ? "TEMP" : "TMPDIR") || "/tmp")
    .replace(/[\\/]+$/, "");
  const user = windows ? envString("USERNAME") ?? "user" : Deno.uid();
  return `${base}/asyncio-${user}`;
}

/** Closes `conn`, whatever its state. */
export function closeConn(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // closed already
  }
}

/** Sends `message` as one JSON line. */
export async function send(conn: Deno.Conn, message: unknown): Promise<void> {
  const bytes = new TextEncoder().encode(JSON.stringify(message) + "\n");
  for (let at = 0; at < bytes.length;) {
    at += await conn.write(bytes.subarray(at));
  }
}

async function readAll(conn: Deno.Conn): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  const buf = new Uint8Array(64 * 1024);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    text += decoder.decode(buf.subarray(0, n), { stream: true });
  }
  return text + decoder.decode();
}

/**
 * Options of {@link inspectProcess}.
 *
 * @example
 * ```ts
 * import type { InspectOptions } from "@aio/asyncio";
 *
 * const options: InspectOptions = { timeout: 10 };
 * console.log(options.timeout);
 * ```
 */
export interface InspectOptions {
  /**
   * The token, for a `host:port` address (an inspector reached by pid
   * has its token read from its file). Default: `ASYNCIO_INSPECT_TOKEN`.
   */
  token?: string;
  /** Seconds to wait for the answer (default 5). */
  timeout?: number;
}

type Address =
  | { transport: "unix"; path: string }
  | { transport: "tcp"; hostname: string; port: number; token: string };

function addressOf(target: number | string, options: InspectOptions): Address {
  const text = String(target).trim();
  if (/^\d+$/.test(text)) {
    const dir = inspectDir();
    const socket = `${dir}/${text}.sock`;
    try {
      if (Deno.statSync(socket).isSocket) {
        return { transport: "unix", path: socket };
      }
    } catch {
      // not a Unix socket inspector: try a TCP one
    }
    let found: { port?: unknown; token?: unknown };
    try {
      found = JSON.parse(Deno.readTextFileSync(`${dir}/${text}.json`));
    } catch {
      throw new Error(
        `process ${text} cannot be inspected: no ${socket} (is it running, ` +
          `as this user, with ASYNCIO_INSPECT=1 or run(main, { inspect: true })?)`,
      );
    }
    if (typeof found.port !== "number" || typeof found.token !== "string") {
      throw new Error(`${dir}/${text}.json is not an inspector's file`);
    }
    return {
      transport: "tcp",
      hostname: "127.0.0.1",
      port: found.port,
      token: found.token,
    };
  }
  const tcp = /^(.+):(\d+)$/.exec(text);
  if (tcp !== null && !text.includes("/")) {
    const token = options.token ?? envString("ASYNCIO_INSPECT_TOKEN");
    if (token === undefined) {
      throw new Error(
        `${text}: a TCP inspector needs its token (options.token, or ` +
          `ASYNCIO_INSPECT_TOKEN; it is in ${inspectDir()}/<pid>.json)`,
      );
    }
    return {
      transport: "tcp",
      hostname: tcp[1].replace(/^\[(.*)\]$/, "$1"),
      port: Number(tcp[2]),
      token,
    };
  }
  return { transport: "unix", path: text };
}

/**
 * Asks another process (by pid, Unix socket path, or `host:port` with a
 * token) for the task trees of its loops: what `deno task ps PID` prints.
 * The process must have been started with inspection on
 * (`ASYNCIO_INSPECT=1`, or `run(main, { inspect: true })`), by the same
 * user. Print the result with {@link formatPs} or {@link formatPstree}.
 *
 * @example A process that inspects itself
 * ```ts
 * import { formatPs, inspectProcess, run } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const trees = await inspectProcess(Deno.pid);
 *   console.log(formatPs(trees).split("\n")[0]); // tid        task id ...
 * }, { inspect: true });
 * ```
 */
export async function inspectProcess(
  target: number | string,
  options: InspectOptions = {},
): Promise<TaskTree[]> {
  const address = addressOf(target, options);
  const timeout = options.timeout ?? 5;
  let conn: Deno.Conn;
  try {
    conn = address.transport === "unix"
      ? await Deno.connect({ transport: "unix", path: address.path })
      : await Deno.connect({ hostname: address.hostname, port: address.port });
  } catch (error) {
    throw new Error(
      `cannot reach the inspector of ${target}: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
  }
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    closeConn(conn);
  }, timeout * 1000);
  let text: string;
  try {
    await send(
      conn,
      address.transport === "tcp" ? { token: address.token } : {},
    );
    text = await readAll(conn);
  } catch (error) {
    throw new Error(
      timedOut
        ? `the inspector of ${target} did not answer within ${timeout} s`
        : `the inspector of ${target} failed: ${
          error instanceof Error ? error.message : String(error)
        }`,
      { cause: error },
    );
  } finally {
    clearTimeout(timer);
    closeConn(conn);
  }
  let reply: { trees?: TaskTree[]; error?: string };
  try {
    reply = JSON.parse(text);
  } catch {
    throw new Error(`the inspector of ${target} sent no answer`);
  }
  if (reply.error !== undefined) {
    throw new Error(`the inspector of ${target} refused: ${reply.error}`);
  }
  return reply.trees ?? [];
}
