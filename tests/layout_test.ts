// Guards of the module layout: every src/ module can be imported on its own
// (no import cycle can leave one half-initialised), and mod.ts's graph has
// no run-time import cycle (type-only imports are erased and do not count).
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const root = new URL("../", import.meta.url);
const deno = Deno.execPath();

function srcModules(dir = new URL("src/", root)): URL[] {
  const found: URL[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) found.push(...srcModules(url));
    else if (entry.name.endsWith(".ts")) found.push(url);
  }
  return found.sort((a, b) => a.href.localeCompare(b.href));
}

// Imports `module` first thing in a fresh process. A Worker's entry module
// (`*_entry.ts`) is imported where it runs: first thing in a fresh Worker.
async function importAlone(module: URL): Promise<string | null> {
  const code = module.pathname.endsWith("_entry.ts")
    ? `const w = new Worker(${JSON.stringify(module.href)}, { type: "module" });
       const failed = await new Promise((resolve) => {
         w.onerror = (e) => { e.preventDefault(); resolve(e.message); };
         setTimeout(() => resolve(null), 1000);
       });
       w.terminate();
       if (failed) throw new Error(failed);`
    : `await import(${JSON.stringify(module.href)});`;
  const out = await new Deno.Command(deno, {
    args: ["eval", "--no-lock", "--quiet", code],
    cwd: fileURLToPath(root),
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.success) return null;
  return new TextDecoder().decode(out.stderr).trim().split("\n")[0];
}

Deno.test("every src/ module imports on its own, in a fresh process", async () => {
  const modules = srcModules();
  assert.ok(modules.length > 20, `found only ${modules.length} modules`);
  const failures: string[] = [];
  // A few processes at a time.
  const queue = [...modules];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let m = queue.shift(); m !== undefined; m = queue.shift()) {
        const error = await importAlone(m);
        if (error !== null) {
          failures.push(`${m.href.slice(root.href.length)}: ${error}`);
        }
      }
    }),
  );
  assert.deepEqual(failures, []);
});

interface ModuleInfo {
  specifier: string;
  dependencies?: { code?: { specifier: string } }[];
}

/** The run-time import cycles among `modules`, each as a list of files. */
function cyclesOf(modules: ModuleInfo[]): string[][] {
  const edges = new Map<string, string[]>();
  for (const m of modules) {
    edges.set(
      m.specifier,
      (m.dependencies ?? []).flatMap((d) =>
        d.code?.specifier.startsWith("file:") ? [d.code.specifier] : []
      ),
    );
  }
  const cycles: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (node: string): void => {
    state.set(node, "open");
    path.push(node);
    for (const next of edges.get(node) ?? []) {
      const s = state.get(next);
      if (s === "open") cycles.push(path.slice(path.indexOf(next)));
      else if (s === undefined) visit(next);
    }
    path.pop();
    state.set(node, "done");
  };
  for (const node of edges.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

Deno.test("the module graph of mod.ts and redis.ts has no run-time import cycle", async () => {
  for (const entry of ["mod.ts", "redis.ts"]) {
    const out = await new Deno.Command(deno, {
      args: ["info", "--json", entry],
      cwd: fileURLToPath(root),
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      modules: ModuleInfo[];
    };
    assert.ok(info.modules.length >= 2, `${entry}: no graph`);
    const short = (s: string) => s.slice(root.href.length);
    assert.deepEqual(
      cyclesOf(info.modules).map((c) => c.map(short).join(" -> ")),
      [],
    );
  }
});

Deno.test("the cycle finder finds a cycle (the guard can fail)", () => {
  const m = (specifier: string, ...deps: string[]): ModuleInfo => ({
    specifier,
    dependencies: deps.map((d) => ({ code: { specifier: d } })),
  });
  assert.deepEqual(
    cyclesOf([
      m("file:///a", "file:///b"),
      m("file:///b", "file:///c"),
      m("file:///c", "file:///a"),
    ]),
    [["file:///a", "file:///b", "file:///c"]],
  );
  assert.deepEqual(cyclesOf([m("file:///a", "file:///b"), m("file:///b")]), []);
});
