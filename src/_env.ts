// Reading the environment without a permission prompt: a variable the
// program may not read counts as unset.

/** Whether the variable `name` is set to something other than "" or "0". */
export function envFlag(name: string): boolean {
  try {
    const deno = (globalThis as { Deno?: typeof Deno }).Deno;
    if (deno) {
      const status = deno.permissions.querySync?.({
        name: "env",
        variable: name,
      });
      if (status && status.state !== "granted") return false;
      const v = deno.env.get(name);
      return v !== undefined && v !== "" && v !== "0";
    }
    const env = (globalThis as {
      process?: { env?: Record<string, string | undefined> };
    }).process?.env;
    const v = env?.[name];
    return v !== undefined && v !== "" && v !== "0";
  } catch {
    return false;
  }
}

/** The variable `name`, or undefined if unset or not readable. */
export function envString(name: string): string | undefined {
  try {
    const deno = (globalThis as { Deno?: typeof Deno }).Deno;
    if (!deno) return undefined;
    const status = deno.permissions.querySync?.({
      name: "env",
      variable: name,
    });
    if (status && status.state !== "granted") return undefined;
    return deno.env.get(name);
  } catch {
    return undefined;
  }
}
