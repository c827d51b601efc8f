// Every export of mod.ts has JSDoc with an example (the module's docs are
// its first tests: `deno task test` runs every example with `--doc`).
import assert from "node:assert/strict";

for (const entry of ["mod.ts", "redis.ts", "serve_executor.ts"]) {
  Deno.test(`every export of ${entry} has JSDoc with an @example`, async () => {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["doc", "--json", entry],
      cwd: new URL("..", import.meta.url),
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const doc = JSON.parse(new TextDecoder().decode(stdout));
    const mod = Object.values(doc.nodes)[0] as {
      symbols: {
        name: string;
        declarations: { jsDoc?: { tags?: { kind: string }[] } }[];
      }[];
    };
    const missing = mod.symbols
      .filter((symbol) =>
        !symbol.declarations.some((d) =>
          (d.jsDoc?.tags ?? []).some((tag) => tag.kind === "example")
        )
      )
      .map((symbol) => symbol.name);
    assert.deepEqual(missing, [], `exports without an @example`);
  });
}
