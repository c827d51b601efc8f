/**
 * `deno task example [NAME]`: runs one example port. With no name it runs
 * the first example of the first tutorial and lists the others.
 */
const dir = new URL(".", import.meta.url);
const names = [...Deno.readDirSync(dir)]
  .map((entry) => entry.name)
  .filter((name) => name.endsWith(".ts") && !name.startsWith("_"))
  .map((name) => name.slice(0, -3))
  .sort();

const wanted = Deno.args[0]?.replace(/\.ts$/, "").replace(/^examples\//, "");
if (wanted === undefined) {
  console.log(`Running ${names[0]} (deno task example NAME runs another):\n`);
  await import(new URL(`${names[0]}.ts`, dir).href);
  console.log(`\nExamples (${names.length}):`);
  for (const name of names) console.log(`  ${name}`);
} else {
  const matches = names.filter((name) =>
    name === wanted || name.startsWith(wanted)
  );
  if (matches.length !== 1) {
    console.error(
      matches.length === 0
        ? `No example named "${wanted}". Examples:\n  ${names.join("\n  ")}`
        : `"${wanted}" matches several examples:\n  ${matches.join("\n  ")}`,
    );
    Deno.exit(2);
  }
  await import(new URL(`${matches[0]}.ts`, dir).href);
}
