// Checks a trace against the Trace Event Format (Chrome's JSON format, as
// Perfetto and chrome://tracing read it) and against what the viewers need
// to draw it right. Used by tests/trace_test.ts. Not a test file.
import type { ChromeTrace, TraceEvent } from "../mod.ts";

const PHASES = new Set(["B", "E", "X", "i", "I", "s", "t", "f", "M"]);
const METADATA = new Set([
  "process_name",
  "process_sort_index",
  "thread_name",
  "thread_sort_index",
]);

/**
 * The problems of `trace` (none: valid):
 * - the shape: `traceEvents` is an array; each event has a known phase, an
 *   integer `pid` and `tid`, a finite `ts` >= 0 (except metadata), and the
 *   fields its phase requires (X: `dur` >= 0 and `name`; B and i: `name`;
 *   i: scope t, p or g; s and f: `id`, `cat` and `name`; M: a known name
 *   and its `args`);
 * - per track: B and E balanced (no E without its B, none left open), the
 *   timestamps of its events non-decreasing in file order, and its slices
 *   properly nested (a slice that starts inside another ends inside it);
 * - names: a process name, and a thread name for every track with events;
 * - flows: each start has exactly one end with the same category and id,
 *   no earlier than it; the start lies inside a slice of its track, and
 *   the end where a slice of its track begins (the slice it binds to).
 */
export function traceProblems(trace: ChromeTrace): string[] {
  const problems: string[] = [];
  const bad = (e: TraceEvent | null, what: string) => {
    if (problems.length < 50) {
      problems.push(e === null ? what : `${what}: ${JSON.stringify(e)}`);
    }
  };
  if (!Array.isArray(trace?.traceEvents)) {
    return ["traceEvents is not an array"];
  }
  const named = new Set<string>();
  let processNamed = false;
  interface Track {
    lastTs: number;
    open: TraceEvent[]; // B events
    // Slices as [start, end], in start order, for nesting and flows.
    slices: [number, number][];
    stack: [number, number][];
  }
  const tracks = new Map<string, Track>();
  const flowStarts = new Map<string, TraceEvent[]>();
  const flowEnds = new Map<string, TraceEvent[]>();
  for (const e of trace.traceEvents) {
    if (e === null || typeof e !== "object") {
      bad(null, `an event is not an object: ${e}`);
      continue;
    }
    if (!PHASES.has(e.ph)) bad(e, "unknown phase");
    if (!Number.isInteger(e.pid) || !Number.isInteger(e.tid)) {
      bad(e, "pid and tid must be integers");
    }
    const key = `${e.pid}:${e.tid}`;
    if (e.ph === "M") {
      if (!METADATA.has(e.name ?? "")) bad(e, "unknown metadata event");
      if (typeof e.args !== "object" || e.args === null) {
        bad(e, "metadata without args");
      } else if (e.name === "thread_name") {
        if (typeof e.args.name !== "string") bad(e, "thread_name: no name");
        named.add(key);
      } else if (e.name === "process_name") {
        if (typeof e.args.name !== "string") bad(e, "process_name: no name");
        processNamed = true;
      } else if (typeof e.args.sort_index !== "number") {
        bad(e, "sort index is not a number");
      }
      continue;
    }
    if (typeof e.ts !== "number" || !Number.isFinite(e.ts) || e.ts < 0) {
      bad(e, "ts must be a finite number >= 0");
      continue;
    }
    let track = tracks.get(key);
    if (track === undefined) {
      track = { lastTs: -Infinity, open: [], slices: [], stack: [] };
      tracks.set(key, track);
    }
    if (e.ts < track.lastTs) {
      bad(e, `ts goes back on its track (${track.lastTs})`);
    }
    track.lastTs = Math.max(track.lastTs, e.ts);
    switch (e.ph) {
      case "X":
        if (typeof e.dur !== "number" || !(e.dur >= 0)) {
          bad(e, "X without a dur >= 0");
        }
        if (typeof e.name !== "string") bad(e, "X without a name");
        // Times have three decimals: the end too, not its float sum.
        track.slices.push([
          e.ts,
          Math.round((e.ts + (e.dur ?? 0)) * 1000) / 1000,
        ]);
        break;
      case "B":
        if (typeof e.name !== "string") bad(e, "B without a name");
        track.open.push(e);
        break;
      case "E": {
        const begin = track.open.pop();
        if (begin === undefined) bad(e, "E without a B");
        else track.slices.push([begin.ts!, e.ts]);
        break;
      }
      case "i":
      case "I":
        if (typeof e.name !== "string") bad(e, "instant without a name");
        if (e.s !== undefined && !["t", "p", "g"].includes(e.s)) {
          bad(e, "instant with an unknown scope");
        }
        break;
      case "s":
      case "t":
      case "f": {
        if (e.id === undefined) bad(e, "flow event without an id");
        if (typeof e.cat !== "string" || typeof e.name !== "string") {
          bad(e, "flow event without cat and name");
        }
        const map = e.ph === "f" ? flowEnds : flowStarts;
        const flow = `${e.cat}:${e.id}`;
        if (e.ph !== "t") map.set(flow, [...(map.get(flow) ?? []), e]);
        break;
      }
    }
  }
  if (!processNamed) bad(null, "no process_name metadata event");
  for (const [key, track] of tracks) {
    if (!named.has(key)) bad(null, `track ${key} has no thread_name`);
    for (const e of track.open) bad(e, "B without an E");
    // Nesting: sorted by start (longest first on ties), each slice ends
    // before the next begins or contains it.
    track.slices.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    const stack: [number, number][] = [];
    for (const slice of track.slices) {
      while (stack.length > 0 && stack.at(-1)![1] <= slice[0]) stack.pop();
      const parent = stack.at(-1);
      if (parent !== undefined && slice[1] > parent[1]) {
        bad(null, `track ${key}: slice ${slice} overlaps ${parent}`);
      }
      stack.push(slice);
    }
  }
  const inSlice = (e: TraceEvent) =>
    tracks.get(`${e.pid}:${e.tid}`)?.slices.some(([start, end]) =>
      start <= e.ts! && e.ts! <= end
    ) ?? false;
  const startsSlice = (e: TraceEvent) =>
    tracks.get(`${e.pid}:${e.tid}`)?.slices.some(([start]) => start === e.ts) ??
      false;
  for (const [flow, starts] of flowStarts) {
    const ends = flowEnds.get(flow) ?? [];
    if (starts.length !== 1 || ends.length !== 1) {
      bad(null, `flow ${flow}: ${starts.length} starts, ${ends.length} ends`);
      continue;
    }
    const [s] = starts;
    const [f] = ends;
    if (f.ts! < s.ts!) bad(f, "flow ends before it starts");
    if (!inSlice(s)) bad(s, "flow start outside any slice of its track");
    if (!startsSlice(f)) bad(f, "flow end where no slice of its track begins");
  }
  for (const [flow, ends] of flowEnds) {
    if (!flowStarts.has(flow)) {
      bad(ends[0], `flow ${flow} ends but never starts`);
    }
  }
  return problems;
}

/** The track names of a trace, by tid. */
export function trackNames(trace: ChromeTrace): Map<number, string> {
  const names = new Map<number, string>();
  for (const e of trace.traceEvents) {
    if (e.ph === "M" && e.name === "thread_name") {
      names.set(e.tid, String(e.args!.name));
    }
  }
  return names;
}
