/**
 * A trace as a self-contained HTML page: one row per task, event loop and
 * Worker, steps and callbacks as bars, waits as pale bars named after what
 * they wait on, wake-ups on hover; wheel to scroll, Ctrl+wheel (or + and
 * -) to zoom, drag to pan. No network: the script, the styles and the
 * data are in the page.
 *
 * As a command: `deno task timeline trace.json > timeline.html` (or
 * `deno run -R -W src/timeline.ts trace.json timeline.html`).
 *
 * @module
 */
import { type ChromeTrace, Trace, type TraceEvent } from "./trace.ts";

/**
 * Options of {@link timelineHtml} and {@link writeTimeline}.
 *
 * @example
 * ```ts
 * import type { TimelineOptions } from "@aio/asyncio";
 *
 * const options: TimelineOptions = { title: "crawler, 10 workers" };
 * console.log(options.title);
 * ```
 */
export interface TimelineOptions {
  /** The page's title (default: "asyncio timeline"). */
  title?: string;
}

// What the page draws: tracks in order, each with its slices as flat
// numbers (start, duration, name, kind, woken-from track) and instants.
interface PageData {
  title: string;
  end: number;
  names: string[];
  tracks: { name: string; kind: number; slices: number[]; marks: number[] }[];
}

// Slice kinds (colours) in the page.
const STEP = 0;
const WAIT = 1;
const PENDING = 2;
const CALLBACK = 3;
const JOB = 4;
const OTHER = 5;
// Track kinds.
const TASK_TRACK = 0;
const LOOP_TRACK = 1;
const WORKER_TRACK = 2;

function pageData(trace: ChromeTrace, title: string): PageData {
  const events = trace.traceEvents;
  const names: string[] = [];
  const nameIds = new Map<string, number>();
  const nameId = (name: string): number => {
    let id = nameIds.get(name);
    if (id === undefined) {
      nameIds.set(name, id = names.length);
      names.push(name);
    }
    return id;
  };
  interface Track {
    tid: number;
    name: string;
    sort: number;
    slices: { start: number; dur: number; name: string; from: number }[];
    marks: number[];
    open: { start: number; name: string }[];
  }
  const tracks = new Map<string, Track>();
  const trackOf = (e: TraceEvent): Track => {
    const key = `${e.pid}:${e.tid}`;
    let track = tracks.get(key);
    if (track === undefined) {
      track = {
        tid: e.tid,
        name: `thread ${e.tid}`,
        sort: e.tid,
        slices: [],
        marks: [],
        open: [],
      };
      tracks.set(key, track);
    }
    return track;
  };
  // Flow ends, by track: the slice that begins at or after `ts` was woken
  // from the track of the flow's start.
  const flowStarts = new Map<string, Track>();
  const flowEnds: { track: Track; ts: number; key: string }[] = [];
  let end = 0;
  for (const e of events) {
    const ts = e.ts ?? 0;
    switch (e.ph) {
      case "M": {
        const track = trackOf(e);
        const args = e.args ?? {};
        if (e.name === "thread_name" && typeof args.name === "string") {
          track.name = args.name;
        } else if (
          e.name === "thread_sort_index" && typeof args.sort_index === "number"
        ) track.sort = args.sort_index;
        break;
      }
      case "X":
        trackOf(e).slices.push({
          start: ts,
          dur: e.dur ?? 0,
          name: e.name ?? "",
          from: -1,
        });
        end = Math.max(end, ts + (e.dur ?? 0));
        break;
      case "B":
        trackOf(e).open.push({ start: ts, name: e.name ?? "" });
        break;
      case "E": {
        const track = trackOf(e);
        const begun = track.open.pop();
        if (begun !== undefined) {
          track.slices.push({
            start: begun.start,
            dur: ts - begun.start,
            name: begun.name,
            from: -1,
          });
        }
        end = Math.max(end, ts);
        break;
      }
      case "i":
      case "I":
        trackOf(e).marks.push(ts, nameId(e.name ?? ""));
        end = Math.max(end, ts);
        break;
      case "s":
        flowStarts.set(`${e.cat}:${e.id}`, trackOf(e));
        break;
      case "f":
        flowEnds.push({ track: trackOf(e), ts, key: `${e.cat}:${e.id}` });
        break;
    }
  }
  const ordered = [...tracks.values()]
    .filter((t) => t.slices.length > 0 || t.marks.length > 0)
    .sort((a, b) => a.sort - b.sort || a.tid - b.tid);
  const index = new Map<Track, number>();
  ordered.forEach((t, i) => index.set(t, i));
  for (const t of ordered) t.slices.sort((a, b) => a.start - b.start);
  for (const flow of flowEnds) {
    const from = flowStarts.get(flow.key);
    const fromIndex = from === undefined ? undefined : index.get(from);
    if (fromIndex === undefined) continue;
    const slices = flow.track.slices;
    // The first slice that begins at or after the flow's end.
    let lo = 0;
    let hi = slices.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (slices[mid].start < flow.ts) lo = mid + 1;
      else hi = mid;
    }
    if (lo < slices.length) slices[lo].from = fromIndex;
  }
  return {
    title,
    end,
    names,
    tracks: ordered.map((t) => {
      const kind = /^event loop/.test(t.name)
        ? LOOP_TRACK
        : /^Worker/.test(t.name)
        ? WORKER_TRACK
        : TASK_TRACK;
      const slices: number[] = [];
      for (const s of t.slices) {
        const sliceKind = kind === WORKER_TRACK
          ? JOB
          : kind === LOOP_TRACK
          ? CALLBACK
          : s.name === "step"
          ? STEP
          : s.name === "pending start"
          ? PENDING
          : s.name.startsWith("await")
          ? WAIT
          : OTHER;
        slices.push(
          round(s.start),
          round(s.dur),
          nameId(s.name),
          sliceKind,
          s.from,
        );
      }
      return { name: t.name, kind, slices, marks: t.marks.map(round) };
    }),
  };
}

function round(us: number): number {
  return Math.round(us * 1000) / 1000;
}

/**
 * Makes the HTML timeline page of a trace: a {@link Trace} (from
 * `stopTrace()`) or Chrome trace event JSON (parsed, as `toChromeTrace()`
 * or `JSON.parse` of a saved file gives it). The page needs no network.
 *
 * @example
 * ```ts
 * import { run, sleep, startTrace, stopTrace, timelineHtml } from "@aio/asyncio";
 *
 * startTrace();
 * await run(() => sleep(0.01));
 * const html = timelineHtml(stopTrace(), { title: "one sleep" });
 * console.log(html.startsWith("<!doctype html>")); // true
 * ```
 */
export function timelineHtml(
  trace: Trace | ChromeTrace,
  options: TimelineOptions = {},
): string {
  const json = trace instanceof Trace ? trace.toChromeTrace() : trace;
  if (
    json === null || typeof json !== "object" ||
    !Array.isArray(json.traceEvents)
  ) {
    throw new TypeError(
      "timelineHtml(): trace must be a Trace or Chrome trace event JSON " +
        "({ traceEvents: [...] })",
    );
  }
  const title = options.title ?? "asyncio timeline";
  const data = JSON.stringify(pageData(json, title))
    // Inside <script>: no "</script>" and no HTML comment can appear.
    .replace(/</g, "\\u003c");
  return PAGE.replace("%TITLE%", escapeHtml(title)).replace(
    "%DATA%",
    () => data,
  );
}

/**
 * Writes the HTML timeline page of a trace to `path` (see
 * {@link timelineHtml}).
 *
 * @example
 * ```ts
 * import { run, sleep, startTrace, stopTrace, writeTimeline } from "@aio/asyncio";
 *
 * startTrace();
 * await run(() => sleep(0.01));
 * const path = await Deno.makeTempFile({ suffix: ".html" });
 * await writeTimeline(stopTrace(), path);
 * console.log((await Deno.stat(path)).size > 0); // true
 * await Deno.remove(path);
 * ```
 */
export async function writeTimeline(
  trace: Trace | ChromeTrace,
  path: string | URL,
  options: TimelineOptions = {},
): Promise<void> {
  await Deno.writeTextFile(path, timelineHtml(trace, options));
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>%TITLE%</title>
<style>
  html, body { margin: 0; height: 100%; font: 12px system-ui, sans-serif; }
  body { display: flex; flex-direction: column; background: #fff; color: #222; }
  header { padding: 6px 10px; border-bottom: 1px solid #ccc; display: flex;
    gap: 12px; align-items: center; flex-wrap: wrap; }
  header h1 { font-size: 14px; margin: 0; }
  header button { font: inherit; }
  .key { display: inline-flex; align-items: center; gap: 4px; }
  .key i { width: 12px; height: 10px; display: inline-block; }
  #view { flex: 1; position: relative; overflow: hidden; }
  canvas { position: absolute; left: 0; top: 0; }
  #tip { position: absolute; pointer-events: none; background: #ffffe8;
    border: 1px solid #999; padding: 4px 6px; white-space: pre; display: none;
    box-shadow: 0 1px 4px rgba(0,0,0,.2); max-width: 600px; }
  #error { color: #fff; background: #b00; padding: 4px 10px; display: none; }
</style>
</head>
<body>
<div id="error"></div>
<header>
  <h1 id="title"></h1>
  <span id="stats"></span>
  <button id="fit" title="show everything">fit</button>
  <button id="zoomin" title="zoom in (+)">+</button>
  <button id="zoomout" title="zoom out (-)">&minus;</button>
  <span class="key"><i style="background:#3a7bd5"></i>step</span>
  <span class="key"><i style="background:#f3d9a4"></i>waiting</span>
  <span class="key"><i style="background:#ddd"></i>created, not started</span>
  <span class="key"><i style="background:#9b59b6"></i>callback</span>
  <span class="key"><i style="background:#16a085"></i>executor job</span>
  <span style="color:#666">wheel: scroll &middot; ctrl+wheel or +/-: zoom &middot; drag: pan</span>
</header>
<div id="view"><canvas id="canvas"></canvas><div id="tip"></div></div>
<script id="data" type="application/json">%DATA%</script>
<script>
"use strict";
(function () {
  var errors = 0;
  function fail(message) {
    errors++;
    document.body.dataset.errors = String(errors);
    var box = document.getElementById("error");
    box.style.display = "block";
    box.textContent = "timeline error: " + message;
  }
  window.addEventListener("error", function (e) { fail(e.message); });
  document.body.dataset.errors = "0";
  var data = JSON.parse(document.getElementById("data").textContent);
  var tracks = data.tracks, names = data.names;
  var COLORS = ["#3a7bd5", "#f3d9a4", "#dddddd", "#9b59b6", "#16a085", "#7f8c8d"];
  var TEXT = ["#fff", "#333", "#555", "#fff", "#fff", "#fff"];
  var ROW = 18, LABEL = 220, AXIS = 22;
  var view = document.getElementById("view");
  var canvas = document.getElementById("canvas");
  var tip = document.getElementById("tip");
  var ctx = canvas.getContext("2d");
  var width = 0, height = 0;
  var t0 = 0, scale = 1; // microseconds at the left edge, pixels per microsecond
  var top = 0; // the first row shown, in pixels
  var slices = 0;
  for (var i = 0; i < tracks.length; i++) slices += tracks[i].slices.length / 5;
  document.getElementById("title").textContent = data.title;
  var tasks = 0;
  for (var j = 0; j < tracks.length; j++) if (tracks[j].kind === 0) tasks++;
  document.getElementById("stats").textContent = tasks + " tasks, " +
    tracks.length + " rows, " + slices + " slices, " + fmt(data.end);
  document.body.dataset.rows = String(tracks.length);
  document.body.dataset.slices = String(slices);

  function fmt(us) {
    if (us === 0) return "0";
    if (us >= 1e6) return (us / 1e6).toPrecision(4) + " s";
    if (us >= 1e3) return (us / 1e3).toPrecision(4) + " ms";
    return us.toPrecision(4) + " \\u00b5s";
  }
  function resize() {
    var dpr = window.devicePixelRatio || 1;
    width = view.clientWidth; height = view.clientHeight;
    canvas.width = Math.max(1, Math.floor(width * dpr));
    canvas.height = Math.max(1, Math.floor(height * dpr));
    canvas.style.width = width + "px"; canvas.style.height = height + "px";
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  }
  function fit() {
    t0 = 0;
    scale = (width - LABEL - 10) / Math.max(1, data.end);
    draw();
  }
  function clampTop() {
    var max = Math.max(0, tracks.length * ROW - (height - AXIS));
    top = Math.min(Math.max(0, top), max);
  }
  // The index of the first slice of a track that ends at or after time t.
  function first(s, t) {
    var lo = 0, hi = s.length / 5;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (s[mid * 5] + s[mid * 5 + 1] < t) lo = mid + 1; else hi = mid;
    }
    return lo;
  }
  function draw() {
    clampTop();
    ctx.clearRect(0, 0, width, height);
    ctx.font = "11px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    var tEnd = t0 + (width - LABEL) / scale;
    var firstRow = Math.floor(top / ROW);
    var lastRow = Math.min(tracks.length - 1, Math.floor((top + height - AXIS) / ROW));
    var drawn = 0;
    for (var r = firstRow; r <= lastRow; r++) {
      var y = AXIS + r * ROW - top;
      var tr = tracks[r];
      if (r % 2 === 1) { ctx.fillStyle = "#f7f7f7"; ctx.fillRect(LABEL, y, width - LABEL, ROW); }
      var s = tr.slices, n = s.length / 5, lastX = -1, lastKind = -1;
      for (var k = first(s, t0); k < n; k++) {
        var start = s[k * 5];
        if (start > tEnd) break;
        var kind = s[k * 5 + 3];
        var x0 = LABEL + (start - t0) * scale;
        var x1 = LABEL + (start + s[k * 5 + 1] - t0) * scale;
        if (x0 < LABEL) x0 = LABEL;
        var w = Math.max(1, x1 - x0);
        // Many slices in one pixel: draw that pixel once per colour.
        if (w <= 1 && Math.floor(x0) === lastX && kind === lastKind) continue;
        lastX = Math.floor(x0); lastKind = kind;
        ctx.fillStyle = COLORS[kind];
        // A pixel's gap between slices that touch.
        ctx.fillRect(x0, y + 2, w > 3 ? w - 1 : w, ROW - 4);
        if (w > 40) {
          ctx.save();
          ctx.beginPath(); ctx.rect(x0, y, w, ROW); ctx.clip();
          ctx.fillStyle = TEXT[kind];
          ctx.fillText(names[s[k * 5 + 2]], x0 + 3, y + ROW / 2);
          ctx.restore();
        }
      }
      var m = tr.marks;
      ctx.fillStyle = "#c0392b";
      for (var q = 0; q < m.length; q += 2) {
        if (m[q] < t0 || m[q] > tEnd) continue;
        var mx = LABEL + (m[q] - t0) * scale;
        ctx.beginPath(); ctx.moveTo(mx, y + 2); ctx.lineTo(mx + 3, y + 6);
        ctx.lineTo(mx - 3, y + 6); ctx.fill();
      }
      // The row's label.
      ctx.fillStyle = r % 2 === 1 ? "#eee" : "#f4f4f4";
      ctx.fillRect(0, y, LABEL, ROW);
      ctx.fillStyle = tr.kind === 1 ? "#6c3483" : tr.kind === 2 ? "#0e6655" : "#222";
      ctx.save();
      ctx.beginPath(); ctx.rect(0, y, LABEL - 4, ROW); ctx.clip();
      ctx.fillText(tr.name, 6, y + ROW / 2);
      ctx.restore();
      drawn++;
    }
    // The time axis.
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, width, AXIS);
    ctx.strokeStyle = "#999"; ctx.beginPath(); ctx.moveTo(0, AXIS - 0.5);
    ctx.lineTo(width, AXIS - 0.5); ctx.stroke();
    var span = (width - LABEL) / scale;
    var step = Math.pow(10, Math.floor(Math.log10(Math.max(span, 1e-3) / 8)));
    if (span / step > 16) step *= 5; else if (span / step > 8) step *= 2;
    ctx.fillStyle = "#444";
    for (var t = Math.ceil(t0 / step) * step; t <= tEnd; t += step) {
      var tx = LABEL + (t - t0) * scale;
      ctx.fillRect(tx, AXIS - 6, 1, 6);
      ctx.fillText(fmt(t), tx + 3, AXIS / 2);
    }
    document.body.dataset.drawn = String(drawn);
    // Where the rows are on the page (for tests/trace_test.ts, which looks
    // at each row of a screenshot): the canvas's top, the axis's height,
    // a row's height and the labels' width, in CSS pixels.
    document.body.dataset.layout =
      [Math.round(view.getBoundingClientRect().top), AXIS, ROW, LABEL].join(",");
  }
  function hit(px, py) {
    if (py < AXIS) return null;
    var r = Math.floor((py - AXIS + top) / ROW);
    if (r < 0 || r >= tracks.length) return null;
    var s = tracks[r].slices;
    var t = t0 + (px - LABEL) / scale;
    var slop = 3 / scale;
    var k = first(s, t - slop);
    if (k * 5 >= s.length || s[k * 5] > t + slop) return { row: r };
    return { row: r, k: k };
  }
  view.addEventListener("mousemove", function (e) {
    var rect = view.getBoundingClientRect();
    var px = e.clientX - rect.left, py = e.clientY - rect.top;
    if (dragging) {
      t0 -= (px - dragX) / scale; dragX = px;
      top -= py - dragY; dragY = py;
      draw(); return;
    }
    var h = hit(px, py);
    if (h === null || h.k === undefined) { tip.style.display = "none"; return; }
    var tr = tracks[h.row], s = tr.slices, k = h.k * 5;
    var text = names[s[k + 2]] + "\\n" + tr.name + "\\nstart " + fmt(s[k]) +
      ", lasted " + fmt(s[k + 1]);
    if (s[k + 4] >= 0) text += "\\nwoken by " + tracks[s[k + 4]].name;
    tip.textContent = text;
    tip.style.display = "block";
    tip.style.left = Math.min(px + 12, width - tip.offsetWidth - 4) + "px";
    tip.style.top = Math.min(py + 12, height - tip.offsetHeight - 4) + "px";
  });
  view.addEventListener("mouseleave", function () { tip.style.display = "none"; });
  var dragging = false, dragX = 0, dragY = 0;
  view.addEventListener("mousedown", function (e) {
    var rect = view.getBoundingClientRect();
    dragging = true; dragX = e.clientX - rect.left; dragY = e.clientY - rect.top;
  });
  window.addEventListener("mouseup", function () { dragging = false; });
  function zoom(factor, px) {
    var t = t0 + (px - LABEL) / scale;
    scale *= factor;
    t0 = t - (px - LABEL) / scale;
    draw();
  }
  view.addEventListener("wheel", function (e) {
    e.preventDefault();
    var rect = view.getBoundingClientRect();
    if (e.ctrlKey || e.metaKey) {
      zoom(e.deltaY < 0 ? 1.25 : 0.8, e.clientX - rect.left);
    } else if (e.shiftKey) {
      t0 += e.deltaY / scale; draw();
    } else {
      top += e.deltaY; t0 += e.deltaX / scale; draw();
    }
  }, { passive: false });
  window.addEventListener("keydown", function (e) {
    if (e.key === "+" || e.key === "=") zoom(1.5, LABEL + (width - LABEL) / 2);
    else if (e.key === "-") zoom(1 / 1.5, LABEL + (width - LABEL) / 2);
    else if (e.key === "0") fit();
  });
  document.getElementById("fit").onclick = fit;
  document.getElementById("zoomin").onclick = function () { zoom(1.5, LABEL + (width - LABEL) / 2); };
  document.getElementById("zoomout").onclick = function () { zoom(1 / 1.5, LABEL + (width - LABEL) / 2); };
  window.addEventListener("resize", function () { resize(); draw(); });
  resize();
  fit();
})();
</script>
</body>
</html>
`;

if (import.meta.main) {
  const [input, output] = Deno.args;
  if (input === undefined || Deno.args.length > 2) {
    console.error(
      "usage: deno task timeline TRACE.json [OUT.html]   (without OUT.html: the page on stdout)",
    );
    Deno.exit(2);
  }
  const trace = JSON.parse(await Deno.readTextFile(input)) as ChromeTrace;
  const html = timelineHtml(trace, { title: input.split("/").pop() });
  if (output === undefined) {
    await Deno.stdout.write(new TextEncoder().encode(html));
  } else await Deno.writeTextFile(output, html);
}
