/**
 * What the tasks of another process are doing, as Python 3.14's
 * `python -m asyncio ps PID` / `pstree PID` print it:
 *
 * ```sh
 * deno task ps PID                       # the table
 * deno task pstree PID                   # the tree
 * deno run -A jsr:@aio/asyncio/ps PID    # the table, from the package
 * deno run -A jsr:@aio/asyncio/ps pstree PID
 * ```
 *
 * The process must run with inspection on (`ASYNCIO_INSPECT=1`, or
 * `run(main, { inspect: true })`), as the same user. Instead of a pid,
 * give a Unix socket's path, or `127.0.0.1:PORT` with `--token TOKEN`;
 * `--json` prints the task trees as JSON.
 *
 * @example
 * ```ts ignore
 * import { main } from "@aio/asyncio/ps";
 *
 * Deno.exit(await main(["pstree", "12345"]));
 * ```
 *
 * @module
 */
import { formatPs, formatPstree } from "./src/tools.ts";
import { inspectProcess } from "./src/inspect.ts";

const USAGE = "usage: ps [ps|pstree] <pid | socket path | host:port> " +
  "[--token TOKEN] [--json]";

/**
 * Runs the command with `args` (`[ps|pstree] target [--token T]
 * [--json]`): prints what it asks for and returns the exit status (1
 * with a message on stderr when the process cannot be inspected, or when
 * its tasks await each other in a cycle, which `pstree` cannot draw).
 *
 * @example
 * ```ts ignore
 * import { main } from "@aio/asyncio/ps";
 *
 * Deno.exit(await main(["ps", "12345"]));
 * ```
 */
export async function main(args: readonly string[]): Promise<number> {
  let command: "ps" | "pstree" = "ps";
  let target: string | undefined;
  let token: string | undefined;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--json") json = true;
    else if (arg === "--token") token = args[++i];
    else if (arg.startsWith("--token=")) token = arg.slice(8);
    else if (arg === "-h" || arg === "--help") {
      console.log(USAGE);
      return 0;
    } else if ((arg === "ps" || arg === "pstree") && target === undefined) {
      command = arg;
    } else if (target === undefined) target = arg;
    else {
      console.error(USAGE);
      return 2;
    }
  }
  if (target === undefined) {
    console.error(USAGE);
    return 2;
  }
  let trees;
  try {
    trees = await inspectProcess(target, { token });
  } catch (error) {
    console.error(
      `Error retrieving tasks: ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
    return 1;
  }
  if (json) {
    console.log(JSON.stringify(trees, null, 2));
    return 0;
  }
  if (command === "ps") {
    console.log(formatPs(trees));
    return 0;
  }
  try {
    const text = formatPstree(trees);
    if (text !== "") console.log(text);
    return 0;
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
