// Reading the environment without a permission prompt: a variable the
// program may not read counts as unset.

/** Whether the variable `name` is set to something other than "" or "0". */
export function envFlag(name: string): boolean {
  const v = envString(name);
  return v !== undefined && v !== "" && v !== "0";
}

/** The variable `name`, or undefined if it is unset or may not be read. */
export function envString(name: string): string | undefined {
  try {
    const deno = (globalThis as { Deno?: typeof Deno }).Deno;
    if (deno) {
      const status = deno.permissions.querySync?.({
        name: "env",
        variable: name,
      });
      if (status && status.state !== "granted") return undefined;
      return deno.env.get(name);
    }
    return (globalThis as {
      process?: { env?: Record<string, string | undefined> };
    }).process?.env?.[name];
  } catch {
    return undefined;
  }
}
