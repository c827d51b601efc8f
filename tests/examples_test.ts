// Every example port prints, line by line, what CPython 3.11 printed for
// the original Python program (`examples/NAME.expected.txt`, recorded from
// `examples/NAME.py`). The ports run on the virtual clock, so seconds of
// sleeping take milliseconds and the output order is the real clock's.
import assert from "node:assert/strict";

const examplesDir = new URL("../examples/", import.meta.url);

/**
 * What may differ between CPython's output and ours, and nothing else:
 * - the coroutine and callback parts of task reprs (`coro=<main() running
 *   at /path/x.py:12>`, `cb=[...]`), which name Python files and lines;
 * - snake_case names printed by Python where the port uses camelCase.
 */
export function normalize(text: string): string[] {
  return text
    .replace(/coro=<[^<>]*(?:<[^<>]*>[^<>]*)*>/g, "coro=<...>")
    .replace(/ cb=\[[^\]]*\]/g, "")
    .replace(
      /\b([a-z][a-z0-9]*)_([a-z0-9_]+)\b/g,
      (_m, head, rest) =>
        head +
        rest.replace(/_([a-z0-9])/g, (_x: string, c: string) => c.toUpperCase())
          .replace(/^([a-z0-9])/, (c: string) => c.toUpperCase()),
    )
    .replace(/\n+$/, "")
    .split("\n");
}

const examples = [...Deno.readDirSync(examplesDir)]
  .map((entry) => entry.name)
  .filter((name) => name.endsWith(".expected.txt"))
  .map((name) => name.slice(0, -".expected.txt".length))
  .sort();

Deno.test("every example has its Python source and expected output", () => {
  const ports = [...Deno.readDirSync(examplesDir)]
    .map((entry) => entry.name)
    .filter((name) => name.endsWith(".ts") && !name.startsWith("_"))
    .map((name) => name.slice(0, -3));
  assert.ok(ports.length >= 50, `only ${ports.length} example ports`);
  for (const name of ports) {
    assert.ok(examples.includes(name), `${name}.expected.txt is missing`);
    Deno.statSync(new URL(`${name}.py`, examplesDir));
  }
});

for (const name of examples) {
  Deno.test(`example ${name} prints what CPython prints`, async () => {
    const expected = await Deno.readTextFile(
      new URL(`${name}.expected.txt`, examplesDir),
    );
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-env", "--allow-read", `${name}.ts`],
      cwd: examplesDir,
      env: { ASYNCIO_VIRTUAL_TIME: "1", NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(stderr);
    assert.equal(code, 0, `exit code ${code}; stderr:\n${err}`);
    assert.deepEqual(
      normalize(new TextDecoder().decode(stdout)),
      normalize(expected),
    );
  });
}
