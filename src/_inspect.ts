/**
 * Inspecting a running process from another one, Python 3.14's
 * `python -m asyncio ps PID`. Off unless asked for (`ASYNCIO_INSPECT=1`,
 * or the `inspect` option of `run()` / `newEventLoop()`). Then the main
 * thread listens, on loopback only, where only this user can reach it:
 *
 * - `unix` (the default): a Unix socket `<dir>/<pid>.sock`, where `<dir>`
 *   is `$TMPDIR/asyncio-<uid>` (`/tmp/asyncio-<uid>`), a directory of mode
 *   0700 owned by this user (one that is not is refused, never used);
 * - `tcp` (`ASYNCIO_INSPECT=tcp`, and on Windows): 127.0.0.1 on a random
 *   port, each request carrying a random token that is written, with the
 *   port, to `<dir>/<pid>.json`, a file of mode 0600 in that directory.
 *
 * Each connection sends one JSON line (`{"token": ...}`) and gets one
 * back: `{"pid", "trees"}`, the task tree of each loop being inspected
 * (taken from a callback on the loop, between two task steps) with its
 * WorkerLoops' trees, or `{"error"}`. The listener does not keep the
 * process alive, and closes (its files removed) when the last inspected
 * loop closes, or when the process exits.
 *
 * @module
 */
import { outsideTasks } from "./_context.ts";
import { envString } from "./_env.ts";
import {
  type AbstractEventLoop,
  kCloseWith,
  type LoopInternal,
} from "./events.ts";
import { recordSuspensions } from "./tasks.ts";
import { answerTaskTree } from "./tools.ts";
import { closeConn, inspectDir, send } from "./inspect.ts";

type Mode = "unix" | "tcp";

const REQUEST_LIMIT = 4096;
const SERVER_TIMEOUT = 2; // seconds a loop (or a client) gets to answer

/** What `ASYNCIO_INSPECT` asks for: nothing, or how to listen. */
export function inspectFromEnv(): false | Mode {
  const value = envString("ASYNCIO_INSPECT");
  if (value === undefined || value === "" || value === "0") return false;
  return value === "tcp" ? "tcp" : defaultMode();
}

function defaultMode(): Mode {
  return Deno.build.os === "windows" ? "tcp" : "unix";
}

function inWorker(): boolean {
  return (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !==
    undefined;
}

const inspected = new Set<AbstractEventLoop>();
let server: InspectServer | null = null;

/**
 * Lets other processes see `loop`'s tasks until it closes. In a Worker,
 * where a WorkerLoop's loop is seen through its parent's, it only records
 * the suspensions.
 */
export function inspectLoop(loop: LoopInternal, mode: true | Mode): void {
  if (inspected.has(loop)) return;
  const worker = inWorker();
  if (server === null && !worker) {
    server = InspectServer.start(mode === true ? defaultMode() : mode);
    if (server === null) return;
  }
  inspected.add(loop);
  // How long each task has waited, and where: recorded while inspected.
  recordSuspensions(true);
  loop[kCloseWith](() => {
    inspected.delete(loop);
    recordSuspensions(false);
    if (inspected.size === 0) {
      server?.close();
      server = null;
    }
  });
}

function granted(descriptor: Deno.PermissionDescriptor): boolean {
  try {
    return Deno.permissions.querySync(descriptor).state === "granted";
  } catch {
    return false;
  }
}

// The directory, made private, or an error that says why it is not.
function privateDir(): string {
  const dir = inspectDir();
  try {
    Deno.mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
  const info = Deno.lstatSync(dir);
  if (!info.isDirectory || info.isSymlink) {
    throw new Error(`${dir} is not a directory`);
  }
  if (Deno.build.os !== "windows") {
    if (info.uid !== Deno.uid()) {
      throw new Error(`${dir} belongs to another user`);
    }
    const mode = (info.mode ?? 0) & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new Error(
        `${dir} is open to other users (mode ${
          mode.toString(8)
        }); it must be 700`,
      );
    }
  }
  return dir;
}

function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // gone already
  }
}

class InspectServer {
  #closed = false;
  readonly #listener: Deno.Listener;
  readonly #file: string;
  readonly #token: string | null;
  readonly #onUnload = () => removeQuietly(this.#file);

  private constructor(
    listener: Deno.Listener,
    file: string,
    token: string | null,
  ) {
    this.#listener = listener;
    this.#file = file;
    this.#token = token;
    // It never keeps the process alive; its file goes with the process.
    listener.unref();
    globalThis.addEventListener("unload", this.#onUnload);
    outsideTasks(() => this.#serve());
  }

  /** Starts listening, or warns (once) why it cannot and returns null. */
  static start(mode: Mode): InspectServer | null {
    let dir = "";
    try {
      dir = inspectDir();
      const needed: Deno.PermissionDescriptor[] = [
        { name: "read", path: dir },
        { name: "write", path: dir },
      ];
      if (Deno.build.os !== "windows") {
        needed.push({ name: "sys", kind: "uid" });
      }
      needed.push({
        name: "net",
        host: mode === "tcp" ? "127.0.0.1" : `unix:${dir}/${Deno.pid}.sock`,
      });
      const missing = needed.filter((d) => !granted(d));
      if (missing.length > 0) {
        throw new Error(
          `it needs ${
            missing.map((d) => `--allow-${d.name}`).join(", ")
          } (for ${dir})`,
        );
      }
      dir = privateDir();
      if (mode === "unix") {
        const path = `${dir}/${Deno.pid}.sock`;
        // A socket left by a process that had this pid and died.
        removeQuietly(path);
        const listener = Deno.listen({ transport: "unix", path });
        Deno.chmodSync(path, 0o600);
        return new InspectServer(listener, path, null);
      }
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const token = Array.from(
        crypto.getRandomValues(new Uint8Array(32)),
        (b) => b.toString(16).padStart(2, "0"),
      ).join("");
      const file = `${dir}/${Deno.pid}.json`;
      removeQuietly(file);
      try {
        Deno.writeTextFileSync(
          file,
          JSON.stringify({
            pid: Deno.pid,
            port: (listener.addr as Deno.NetAddr).port,
            token,
          }),
          { mode: 0o600, createNew: true },
        );
      } catch (error) {
        listener.close();
        throw error;
      }
      return new InspectServer(listener, file, token);
    } catch (error) {
      console.warn(
        `asyncio: this process cannot be inspected: ${
          error instanceof Error ? error.message : String(error)
        }`,
      );
      return null;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#listener.close();
    } catch {
      // closed already
    }
    removeQuietly(this.#file);
    globalThis.removeEventListener("unload", this.#onUnload);
  }

  async #serve(): Promise<void> {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch {
        return; // closed
      }
      void this.#answer(conn);
    }
  }

  async #answer(conn: Deno.Conn): Promise<void> {
    conn.unref();
    // A client that sends nothing (or too slowly) is dropped.
    const timer = setTimeout(() => closeConn(conn), SERVER_TIMEOUT * 1000);
    Deno.unrefTimer(timer);
    try {
      const request = await readLine(conn, REQUEST_LIMIT);
      let token: unknown = null;
      try {
        token = (JSON.parse(request) as { token?: unknown }).token ?? null;
      } catch {
        await send(conn, { error: "bad request" });
        return;
      }
      if (this.#token !== null && !sameToken(token, this.#token)) {
        await send(conn, { error: "wrong token" });
        return;
      }
      clearTimeout(timer);
      const trees = await Promise.all(
        [...inspected].map((loop) => answerTaskTree(loop, SERVER_TIMEOUT)),
      );
      await send(conn, { pid: Deno.pid, trees });
    } catch {
      // The client went away.
    } finally {
      clearTimeout(timer);
      closeConn(conn);
    }
  }
}

// Compares in time that does not depend on where the strings differ.
function sameToken(given: unknown, token: string): boolean {
  if (typeof given !== "string" || given.length !== token.length) return false;
  let diff = 0;
  for (let i = 0; i < token.length; i++) {
    diff |= given.charCodeAt(i) ^ token.charCodeAt(i);
  }
  return diff === 0;
}

async function readLine(conn: Deno.Conn, limit: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const buf = new Uint8Array(1024);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    const chunk = buf.slice(0, n);
    chunks.push(chunk);
    size += n;
    if (chunk.includes(10) || size > limit) break;
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  const text = new TextDecoder().decode(all);
  const end = text.indexOf("\n");
  return end < 0 ? text : text.slice(0, end);
}
