/**
 * `deno task example [NAME] [ARGS...]`: runs one example in a process of its
 * own (so that `import.meta.main` is true in it, its exit code and Ctrl-C are
 * its own, and ARGS reach it: `deno task example redis_dynamic_tasks
 * --forever`).
 *
 * With no NAME it runs `hello.ts` (tasks, gather and a timeout, in under a
 * second, with nothing but Deno) and lists the examples by tutorial folder.
 *
 * NAME may be `folder/MM_name`, `MM_name` or `name` (or a prefix of one of
 * them, if only one example starts with it), the names from before the
 * tutorial folders (`s002_15_call_order_blocked`: seed 002 is the third
 * folder of {@link TUTORIALS}), or a realistic example's folder (`crawler`
 * runs `crawler/crawler.ts`; `chat/server` names another file in it).
 *
 * @module
 */

/** The tutorial folders, in the order of the seeds they port (000 to 004). */
export const TUTORIALS: readonly { folder: string; teaches: string }[] = [
  { folder: "first-steps", teaches: "run, gather, the loop and callbacks" },
  {
    folder: "coroutines-and-tasks",
    teaches: "tasks, waiting, shield, threads, async iteration, streams",
  },
  {
    folder: "event-loop-in-depth",
    teaches: "call_soon/later/at, futures, locks, queues, executors",
  },
  {
    folder: "async-await-by-example",
    teaches: "how tasks interleave, a crawler, producer/consumer",
  },
  {
    folder: "dynamic-tasks",
    teaches: "adding work to a loop in another thread, from Redis",
  },
];

/** What runs when no NAME is given. */
export const DEFAULT = "hello";

/** The examples under a directory, as found by {@link catalogue}. */
export interface Catalogue {
  /**
   * Example keys by folder, folders in {@link TUTORIALS} order ("" first:
   * the examples at the top, such as hello); a key is the path without
   * `.ts`: `first-steps/01_first_gather_last`.
   */
  groups: Map<string, string[]>;
  /** Realistic examples: folder name -> key of its program (`crawler/crawler`). */
  apps: Map<string, string>;
  /** Every runnable file of the realistic examples (`chat/server`). */
  appFiles: string[];
}

const here = new URL(".", import.meta.url);

function tsFiles(dir: URL): string[] {
  return [...Deno.readDirSync(dir)]
    .filter((e) =>
      e.isFile && e.name.endsWith(".ts") && !e.name.startsWith("_")
    )
    .map((e) => e.name.slice(0, -3))
    .sort();
}

/**
 * The examples in `dir`: a folder holding `.py` files is a tutorial folder
 * (its ports sit next to their Python originals); a folder without them
 * whose program has the folder's name (`crawler/crawler.ts`) is a realistic
 * example.
 */
export function catalogue(dir: URL = here): Catalogue {
  const groups = new Map<string, string[]>([["", tsFiles(dir)]]);
  const apps = new Map<string, string>();
  const appFiles: string[] = [];
  const folders = [...Deno.readDirSync(dir)]
    .filter((e) => e.isDirectory && !e.name.startsWith("_"))
    .map((e) => e.name);
  const order = (folder: string) => {
    const i = TUTORIALS.findIndex((t) => t.folder === folder);
    return i < 0 ? TUTORIALS.length : i;
  };
  folders.sort((a, b) => order(a) - order(b) || (a < b ? -1 : a > b ? 1 : 0));
  for (const folder of folders) {
    const sub = new URL(`${folder}/`, dir);
    const names = tsFiles(sub);
    const isTutorial = [...Deno.readDirSync(sub)].some((e) =>
      e.name.endsWith(".py")
    );
    if (isTutorial) {
      groups.set(folder, names.map((name) => `${folder}/${name}`));
    } else if (names.includes(folder)) {
      apps.set(folder, `${folder}/${folder}`);
      appFiles.push(...names.map((name) => `${folder}/${name}`));
    }
  }
  return { groups, apps, appFiles };
}

/** The name of an example without its `MM_` number. */
function bare(base: string): string {
  return base.replace(/^\d+_/, "");
}

/**
 * The example NAME stands for: a key of `cat`, or the keys it could mean
 * (none, or several).
 */
export function resolve(
  name: string,
  cat: Catalogue = catalogue(),
): { key: string } | { candidates: string[] } {
  let wanted = name.replace(/^\.\//, "").replace(/^examples\//, "")
    .replace(/\.ts$/, "");
  // The names from before the tutorial folders: sNNN_MM_name.
  const old = /^s(\d{3})_(.*)$/.exec(wanted);
  if (old && Number(old[1]) < TUTORIALS.length) {
    wanted = `${TUTORIALS[Number(old[1])].folder}/${old[2]}`;
  }
  const app = cat.apps.get(wanted);
  if (app !== undefined) return { key: app };
  // A tutorial folder's name stands for its examples (which it lists).
  if (wanted !== "" && cat.groups.has(wanted)) wanted += "/";
  const ports = [...cat.groups.values()].flat();
  const pick = (
    test: (key: string, base: string) => boolean,
    keys: string[],
  ) => keys.filter((key) => test(key, key.slice(key.lastIndexOf("/") + 1)));
  const exact = wanted.includes("/")
    ? pick((key) => key === wanted, [...ports, ...cat.appFiles])
    : pick((_, base) => base === wanted || bare(base) === wanted, ports);
  if (exact.length === 1) return { key: exact[0] };
  if (exact.length > 1) return { candidates: exact };
  const prefixed = wanted.includes("/")
    ? pick((key) => key.startsWith(wanted), [...ports, ...cat.appFiles])
    : pick(
      (_, base) => base.startsWith(wanted) || bare(base).startsWith(wanted),
      ports,
    );
  return prefixed.length === 1
    ? { key: prefixed[0] }
    : { candidates: prefixed };
}

/** The listing printed after the default example. */
export function listing(cat: Catalogue = catalogue()): string {
  const count = [...cat.groups.values()].flat().length;
  const lines = [
    `Examples (${count}); deno task example NAME runs one, NAME being`,
    `folder/MM_name, MM_name or name (or the start of one), e.g. call_order:`,
  ];
  for (const [folder, keys] of cat.groups) {
    if (keys.length === 0) continue;
    if (folder === "") {
      lines.push("", ...keys.map((key) => `  ${key}`));
      continue;
    }
    const teaches = TUTORIALS.find((t) => t.folder === folder)?.teaches;
    lines.push(
      "",
      `${folder}/ (${keys.length})${teaches ? `: ${teaches}` : ""}`,
      ...keys.map((key) => `  ${key.slice(folder.length + 1)}`),
    );
  }
  if (cat.apps.size > 0) {
    lines.push(
      "",
      "Realistic examples (deno task example crawler runs crawler/crawler.ts):",
      ...[...cat.apps.keys()].map((app) => `  ${app}`),
    );
  }
  lines.push("", "See examples/README.md.");
  return lines.join("\n");
}

/**
 * Runs `key` in a `deno run` of its own with the permissions of
 * `deno task example`; returns its exit code.
 */
async function runExample(key: string, args: string[]): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-env",
      "--allow-read",
      "--allow-run",
      "--allow-net",
      "--allow-write",
      "--allow-sys",
      new URL(`${key}.ts`, here).href,
      ...args,
    ],
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  // Ctrl-C reaches the example too (same process group): let it stop in its
  // own way (run() cancels main and exits with 130; a second SIGINT would
  // skip its cleanup, so none is forwarded) and exit with its code. A
  // SIGTERM or SIGHUP sent to this process alone is passed on, so that the
  // example does not outlive it.
  const listeners: [Deno.Signal, () => void][] = [["SIGINT", () => {}]];
  if (Deno.build.os !== "windows") {
    for (const signal of ["SIGTERM", "SIGHUP"] as const) {
      listeners.push([signal, () => child.kill(signal)]);
    }
  }
  for (const [signal, listener] of listeners) {
    Deno.addSignalListener(signal, listener);
  }
  try {
    return (await child.status).code;
  } finally {
    for (const [signal, listener] of listeners) {
      Deno.removeSignalListener(signal, listener);
    }
  }
}

if (import.meta.main) {
  const [name, ...args] = Deno.args;
  const cat = catalogue();
  if (name === undefined) {
    console.log(`Running ${DEFAULT} (deno task example NAME runs another):\n`);
    const code = await runExample(DEFAULT, []);
    console.log(`\n${listing(cat)}`);
    Deno.exit(code);
  }
  const found = resolve(name, cat);
  if ("candidates" in found) {
    console.error(
      found.candidates.length === 0
        ? `No example named "${name}".\n\n${listing(cat)}`
        : `"${name}" matches several examples:\n  ${
          found.candidates.join("\n  ")
        }`,
    );
    Deno.exit(2);
  }
  Deno.exit(await runExample(found.key, args));
}
