/**
 * The command-line scanner the bench runners share: `--name value` and
 * `--name=value`, with checked numbers and lists.
 *
 * @module
 */

/** One argument, with readers for the value that follows it. */
export interface Arg {
  /** `--name` (without any `=value`). */
  name: string;
  /** The value: after `=`, or the next argument. */
  value(): string;
  /** The value as a finite number >= `min`. */
  number(min: number): number;
  /** The value as an integer >= `min`. */
  integer(min: number): number;
  /** The value as a non-empty comma-separated list of `all`'s items. */
  list<T extends string>(all: readonly T[]): T[];
}

/** Walks `args`; `usage()` (which exits) on a missing or bad value. */
export function* scanArgs(
  args: readonly string[],
  usage: () => never,
): Generator<Arg> {
  for (let i = 0; i < args.length; i++) {
    let name = args[i];
    let inline: string | undefined;
    const eq = name.indexOf("=");
    if (name.startsWith("--") && eq > 0) {
      inline = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    const value = (): string => {
      if (inline !== undefined) return inline;
      if (i + 1 >= args.length) usage();
      return args[++i];
    };
    const number = (min: number): number => {
      const v = Number(value());
      if (!Number.isFinite(v) || v < min) usage();
      return v;
    };
    const integer = (min: number): number => {
      const v = number(min);
      if (!Number.isInteger(v)) usage();
      return v;
    };
    const list = <T extends string>(all: readonly T[]): T[] => {
      const items = value().split(",").filter((s) => s !== "") as T[];
      if (items.length === 0 || items.some((s) => !all.includes(s))) usage();
      return items;
    };
    yield { name, value, number, integer, list };
  }
}
