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

// The README and the pages it links are read on GitHub and on the JSR
// package page: each relative link must reach a file that exists and that
// `deno publish` includes, and each anchor a heading of its page.
const root = new URL("..", import.meta.url);

function markdownLinks(text: string): string[] {
  const withoutCode = text.replace(/```[\s\S]*?```/g, "").replace(
    /`[^`\n]*`/g,
    "",
  );
  return [...withoutCode.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
}

function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  for (const m of text.replace(/```[\s\S]*?```/g, "").matchAll(/^#+ (.*)$/gm)) {
    anchors.add(
      m[1].toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-"),
    );
  }
  return anchors;
}

async function exists(url: URL): Promise<boolean> {
  try {
    await Deno.stat(url);
    return true;
  } catch {
    return false;
  }
}

function published(path: string, include: string[]): boolean {
  return include.some((entry) =>
    entry.endsWith("/") ? path.startsWith(entry) : path === entry
  );
}

Deno.test("links of the README and the docs reach published files and headings", async () => {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", root)),
  );
  const include: string[] = config.publish.include.map((p: string) =>
    p.replace(/^\.\//, "")
  );
  const pages = [
    "README.md",
    "examples/README.md",
    "bench/README.md",
    "bench/HISTORY.md",
  ];
  for await (const entry of Deno.readDir(new URL("bench/", root))) {
    const readme = `bench/${entry.name}/README.md`;
    if (entry.isDirectory && await exists(new URL(readme, root))) {
      pages.push(readme);
    }
  }
  for await (const entry of Deno.readDir(new URL("docs/", root))) {
    if (entry.name.endsWith(".md")) pages.push(`docs/${entry.name}`);
  }
  const broken: string[] = [];
  for (const page of pages) {
    assert.ok(published(page, include), `${page} is not in publish.include`);
    const text = await Deno.readTextFile(new URL(page, root));
    for (const link of markdownLinks(text)) {
      if (/^[a-z]+:/.test(link)) continue; // absolute (https:, mailto:)
      const [path, anchor] = link.split("#");
      const target = path === ""
        ? new URL(page, root)
        : new URL(path, new URL(page, root));
      const relative = target.pathname.slice(root.pathname.length);
      try {
        await Deno.stat(target);
      } catch {
        broken.push(`${page}: ${link} (no such file)`);
        continue;
      }
      if (
        !published(relative, include)
      ) {
        broken.push(`${page}: ${link} (not in publish.include)`);
      }
      if (anchor && relative.endsWith(".md")) {
        const linked = await Deno.readTextFile(target);
        if (!headingAnchors(linked).has(anchor)) {
          broken.push(`${page}: ${link} (no such heading)`);
        }
      }
    }
  }
  assert.deepEqual(broken, []);
});

Deno.test("the README stays short enough to read: under 250 lines", async () => {
  const lines = (await Deno.readTextFile(new URL("README.md", root))).split(
    "\n",
  );
  assert.ok(lines.length < 250, `README.md has ${lines.length} lines`);
});
