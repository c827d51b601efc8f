// Where an object was created, for debug mode (Python's
// `_source_traceback`): the stack at creation, oldest frame first, without
// the library's own frames, so that the last frame is the user's call.

/** One frame of a source traceback. */
export interface SourceFrame {
  /** The file (a URL or a path). */
  filename: string;
  /** The line number. */
  lineno: number;
  /** The function, or "<module>". */
  name: string;
}

const libraryDir = new URL("./", import.meta.url).href;
const FRAME = /^\s*at (?:(.*?) \()?(.+?):(\d+):\d+\)?$/;

/** The calling code's stack, user frames only, oldest first. */
export function captureSourceTraceback(): SourceFrame[] {
  const stack = new Error().stack ?? "";
  const frames: SourceFrame[] = [];
  for (const line of stack.split("\n").slice(1)) {
    const m = FRAME.exec(line);
    if (m === null) continue;
    const [, fn, file, lineno] = m;
    if (file.startsWith(libraryDir) || file.startsWith("ext:")) continue;
    frames.push({
      filename: file,
      lineno: Number(lineno),
      name: (fn ?? "<module>").replace(/^async /, ""),
    });
  }
  return frames.reverse();
}

/** `created at file:line` for a repr (the last frame), or "". */
export function createdAt(traceback: SourceFrame[] | null): string {
  const frame = traceback?.at(-1);
  return frame === undefined
    ? ""
    : `created at ${frame.filename}:${frame.lineno}`;
}

/** Python's traceback lines for a source traceback. */
export function formatSourceTraceback(traceback: SourceFrame[]): string {
  return traceback.map((f) =>
    `  File "${f.filename}", line ${f.lineno}, in ${f.name}`
  ).join("\n");
}
