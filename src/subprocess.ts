/**
 * Subprocesses with stream pipes (Python's `asyncio.subprocess`), on
 * `Deno.Command`.
 *
 * @module
 */
import { signalName, signalNumbers } from "./_signals.ts";
import { rangeError, typeError } from "./_validate.ts";
import { Coroutine } from "./coroutines.ts";
import { labelFuture } from "./_labels.ts";
import { Transport } from "./transports.ts";
import { type AbstractEventLoop, countIo, getRunningLoop } from "./events.ts";
import type { Future } from "./futures.ts";
import { StreamReader, StreamWriter } from "./streams.ts";
import { gather } from "./tasks.ts";

/**
 * Connect the child's stream to a pipe (a `StreamWriter` for stdin, a
 * `StreamReader` for stdout and stderr). Python's `asyncio.subprocess.PIPE`.
 *
 * @example
 * ```ts
 * import { createSubprocessExec, PIPE, run } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const proc = await createSubprocessExec("echo", "hi", { stdout: PIPE });
 *   const [out] = await proc.communicate();
 *   console.log(new TextDecoder().decode(out!)); // hi
 * });
 * ```
 */
export const PIPE: -1 = -1;

/**
 * For `stderr`: send it to the same pipe as stdout. Python's
 * `asyncio.subprocess.STDOUT`.
 *
 * @example
 * ```ts
 * import { createSubprocessShell, PIPE, run, STDOUT } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const proc = await createSubprocessShell("echo oops >&2", { stdout: PIPE, stderr: STDOUT });
 *   const [out] = await proc.communicate();
 *   console.log(new TextDecoder().decode(out!)); // oops
 * });
 * ```
 */
export const STDOUT: -2 = -2;

/**
 * Connect the child's stream to /dev/null. Python's
 * `asyncio.subprocess.DEVNULL`.
 *
 * @example
 * ```ts
 * import { createSubprocessExec, DEVNULL, run } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const proc = await createSubprocessExec("echo", "unseen", { stdout: DEVNULL });
 *   console.log(await proc.wait()); // 0
 * });
 * ```
 */
export const DEVNULL: -3 = -3;

/**
 * Options of {@link createSubprocessExec} and {@link createSubprocessShell}.
 * A stream left out (or null) is inherited from this process.
 *
 * @example
 * ```ts
 * import { PIPE, type SubprocessOptions } from "@aio/asyncio";
 *
 * const options: SubprocessOptions = { stdout: PIPE, cwd: "/tmp", env: { LANG: "C" } };
 * console.log(options.stdout === PIPE); // true
 * ```
 */
export interface SubprocessOptions {
  /** `PIPE`, `DEVNULL`, or null to inherit. */
  stdin?: typeof PIPE | typeof DEVNULL | null;
  /** `PIPE`, `DEVNULL`, or null to inherit. */
  stdout?: typeof PIPE | typeof DEVNULL | null;
  /** `PIPE`, `STDOUT`, `DEVNULL`, or null to inherit. */
  stderr?: typeof PIPE | typeof STDOUT | typeof DEVNULL | null;
  /** The pipe readers' limit (default 64 KiB). */
  limit?: number;
  /** The working directory. */
  cwd?: string | URL;
  /** Environment variables to set. */
  env?: Record<string, string>;
  /** Start from an empty environment (plus `env`). */
  clearEnv?: boolean;
}

/**
 * A child process started by {@link createSubprocessExec} or
 * {@link createSubprocessShell} (Python's `asyncio.subprocess.Process`).
 *
 * @example
 * ```ts
 * import { createSubprocessExec, PIPE, run } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const proc = await createSubprocessExec("cat", { stdin: PIPE, stdout: PIPE });
 *   const [out] = await proc.communicate(new TextEncoder().encode("echo"));
 *   console.log(new TextDecoder().decode(out!), proc.returncode); // echo 0
 * });
 * ```
 */
export class Process {
  /** The child's stdin, with `stdin: PIPE`. */
  readonly stdin: StreamWriter | null;
  /** The child's stdout, with `stdout: PIPE`. */
  readonly stdout: StreamReader | null;
  /** The child's stderr, with `stderr: PIPE`. */
  readonly stderr: StreamReader | null;
  readonly #child: Deno.ChildProcess;
  readonly #exited: Future<number>;
  #returncode: number | null = null;

  /** Made by `createSubprocessExec` / `createSubprocessShell`. */
  constructor(
    loop: AbstractEventLoop,
    child: Deno.ChildProcess,
    options: SubprocessOptions,
  ) {
    this.#child = child;
    const limit = options.limit;
    this.stdin = options.stdin === PIPE ? writerFor(loop, child.stdin) : null;
    this.stdout = options.stdout === PIPE
      ? readerFor(loop, child.stdout, limit)
      : null;
    this.stderr = options.stderr === PIPE
      ? readerFor(loop, child.stderr, limit)
      : null;
    this.#exited = labelFuture(loop.createFuture<number>(), {
      operation: "Process.wait",
      object: this,
    });
    countIo(loop, child.status).then((status) => {
      this.#returncode = status.signal !== null
        ? -(signalNumbers[status.signal] ?? 128)
        : status.code;
      // The child is gone: nothing more can be written to it.
      this.stdin?.close();
      if (!loop.isClosed()) this.#exited.setResult(this.#returncode);
    });
  }

  /** The child's process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /**
   * The exit status once the child has exited (negative: killed by that
   * signal), else null.
   */
  get returncode(): number | null {
    return this.#returncode;
  }

  /** Waits for the child to exit and returns its `returncode` (a coroutine). */
  wait(): Coroutine<number> {
    return new Coroutine(this.#wait, this, undefined, "Process.wait");
  }

  async #wait(): Promise<number> {
    return await this.#exited;
  }

  /**
   * Sends `input` to stdin (then closes it), reads stdout and stderr to
   * their end, waits for the child to exit, and returns
   * `[stdout, stderr]` (null for a stream that is not a pipe). A
   * coroutine: nothing is sent or read until it is awaited.
   */
  communicate(
    input?: Uint8Array | string | null,
  ): Coroutine<[Uint8Array | null, Uint8Array | null]> {
    if (input !== undefined && input !== null && this.stdin === null) {
      throw new Error("communicate(input) needs stdin=PIPE");
    }
    return new Coroutine(
      this.#communicate,
      this,
      input,
      "Process.communicate",
    );
  }

  async #communicate(
    input?: Uint8Array | string | null,
  ): Promise<[Uint8Array | null, Uint8Array | null]> {
    const feed = async () => {
      if (this.stdin === null) return;
      if (input !== undefined && input !== null) {
        this.stdin.write(input);
        try {
          await this.stdin.drain();
        } catch (error) {
          // The child may exit without reading everything, as in Python.
          if (
            !(error instanceof Deno.errors.BrokenPipe) &&
            !(error instanceof Deno.errors.ConnectionReset)
          ) throw error;
        }
      }
      this.stdin.close();
    };
    const [, out, err] = await gather(
      feed,
      () => this.stdout?.read() ?? Promise.resolve(null),
      () => this.stderr?.read() ?? Promise.resolve(null),
    );
    await this.#wait();
    return [out, err];
  }

  /** Sends `signal` (a name such as "SIGTERM", or a number). */
  sendSignal(signal: Deno.Signal | number): void {
    if (this.#returncode !== null) {
      const error = new Error("the process has already exited");
      error.name = "ProcessLookupError";
      throw error;
    }
    this.#child.kill(signalName(signal));
  }

  /** Sends SIGTERM. */
  terminate(): void {
    this.sendSignal("SIGTERM");
  }

  /** Sends SIGKILL. */
  kill(): void {
    this.sendSignal("SIGKILL");
  }

  /** Python's repr. */
  toString(): string {
    return `<Process ${this.pid}>`;
  }
}

function writerFor(
  loop: AbstractEventLoop,
  stream: WritableStream<Uint8Array>,
): StreamWriter {
  const writer = stream.getWriter();
  const transport = new Transport(
    {
      write: async (data) => {
        await writer.write(data);
        return data.length;
      },
      closeWrite: () => writer.close(),
      close: () => {
        writer.close().catch(() => {});
      },
    },
    { loop, extra: { pipe: stream } },
  );
  return new StreamWriter(transport, null);
}

function readerFor(
  loop: AbstractEventLoop,
  stream: ReadableStream<Uint8Array>,
  limit: number | undefined,
): StreamReader {
  const reader = new StreamReader({ limit, loop });
  const source = stream.getReader();
  let pending: Uint8Array | null = null;
  new Transport(
    {
      read: async (buffer) => {
        if (pending === null || pending.length === 0) {
          const { done, value } = await source.read();
          if (done) return null;
          pending = value;
        }
        const n = Math.min(buffer.length, pending.length);
        buffer.set(pending.subarray(0, n));
        pending = pending.subarray(n);
        return n;
      },
      close: () => {
        source.cancel().catch(() => {});
      },
    },
    { loop, reader, extra: { pipe: stream } },
  );
  return reader;
}

function split(
  caller: string,
  rest: (string | SubprocessOptions)[],
): [string[], SubprocessOptions] {
  const last = rest.at(-1);
  const options = last !== undefined && typeof last === "object"
    ? rest.pop() as SubprocessOptions
    : {};
  for (const arg of rest) {
    if (typeof arg !== "string") {
      throw typeError(
        caller,
        "each argument",
        "a string (then one options object last)",
        arg,
      );
    }
  }
  for (const name of ["stdin", "stdout", "stderr"] as const) {
    const value = options[name];
    const allowed = name === "stderr"
      ? [PIPE, STDOUT, DEVNULL, null, undefined]
      : [PIPE, DEVNULL, null, undefined];
    if (!(allowed as unknown[]).includes(value)) {
      throw rangeError(
        caller,
        `options.${name}`,
        `PIPE, ${name === "stderr" ? "STDOUT, " : ""}DEVNULL or null (inherit)`,
        value,
      );
    }
  }
  return [rest as string[], options];
}

function mode(value: number | null | undefined): "piped" | "null" | "inherit" {
  if (value === PIPE) return "piped";
  if (value === DEVNULL) return "null";
  return "inherit";
}

function spawn(
  program: string,
  args: string[],
  options: SubprocessOptions,
): Process {
  const loop = getRunningLoop();
  let stderr = mode(options.stderr);
  if (options.stderr === STDOUT) {
    if (options.stdout === PIPE) {
      // One pipe for both, in the order written (2>&1), as Python does;
      // Deno.Command has no such option, so a shell sets it up.
      args = ["-c", 'exec "$0" "$@" 2>&1', program, ...args];
      program = "/bin/sh";
      stderr = "null";
    } else stderr = mode(options.stdout);
  }
  const child = new Deno.Command(program, {
    args,
    cwd: options.cwd,
    env: options.env,
    clearEnv: options.clearEnv,
    stdin: mode(options.stdin),
    stdout: mode(options.stdout),
    stderr,
  }).spawn();
  return new Process(loop, child, options);
}

/**
 * Starts `program` with `args` (no shell): Python's
 * `asyncio.create_subprocess_exec`. Options come last.
 *
 * @example
 * ```ts
 * import { createSubprocessExec, PIPE, run } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const proc = await createSubprocessExec("ls", "/", { stdout: PIPE });
 *   const line = await proc.stdout!.readline();
 *   console.log(line.length > 0); // true
 *   await proc.communicate();
 * });
 * ```
 */
export function createSubprocessExec(
  program: string,
  ...args: (string | SubprocessOptions)[]
): Coroutine<Process> {
  if (typeof program !== "string") {
    throw typeError(
      "createSubprocessExec()",
      "program",
      "a string (the program comes first)",
      program,
    );
  }
  const [list, options] = split("createSubprocessExec()", args);
  return new Coroutine(
    function createSubprocessExec() {
      return Promise.resolve(spawn(program, list, options));
    },
    null,
    undefined,
    "createSubprocessExec",
  );
}

/**
 * Runs `cmd` with `/bin/sh -c`: Python's
 * `asyncio.create_subprocess_shell`.
 *
 * @example
 * ```ts
 * import { createSubprocessShell, PIPE, run } from "@aio/asyncio";
 *
 * await run(async () => {
 *   const proc = await createSubprocessShell("echo $((6 * 7))", { stdout: PIPE });
 *   const [out] = await proc.communicate();
 *   console.log(new TextDecoder().decode(out!).trim()); // 42
 * });
 * ```
 */
export function createSubprocessShell(
  cmd: string,
  options: SubprocessOptions = {},
): Coroutine<Process> {
  if (typeof cmd !== "string") {
    throw typeError("createSubprocessShell()", "cmd", "a string", cmd);
  }
  const [, checked] = split("createSubprocessShell()", [options]);
  return new Coroutine(
    function createSubprocessShell() {
      return Promise.resolve(spawn("/bin/sh", ["-c", cmd], checked));
    },
    null,
    undefined,
    "createSubprocessShell",
  );
}
