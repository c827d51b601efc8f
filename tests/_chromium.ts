// Headless Chromium for the timeline page test (tests/trace_test.ts): a
// screenshot of a page, its DOM after its scripts ran, and a PNG decoder
// to look at the screenshot's pixels. Each run has a profile directory of
// its own, removed afterwards. Not a test file.
import { join } from "node:path";

/** What to install when Chromium is missing. */
export const NO_CHROMIUM =
  "the timeline page test needs Chromium on PATH (Debian/Ubuntu: " +
  "apt-get install chromium)";

/** The Chromium command on PATH, or null. */
export function findChromium(): string | null {
  const path = Deno.env.get("PATH") ?? "";
  for (const dir of path.split(":")) {
    if (dir === "") continue;
    for (const name of ["chromium", "chromium-browser", "google-chrome"]) {
      try {
        const info = Deno.statSync(join(dir, name));
        if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) {
          return join(dir, name);
        }
      } catch {
        // Not there.
      }
    }
  }
  return null;
}

async function chromium(
  command: string,
  profile: string,
  args: string[],
): Promise<string> {
  const out = await new Deno.Command(command, {
    args: [
      "--headless",
      "--no-sandbox", // tests run as root
      "--disable-gpu",
      "--no-first-run",
      "--no-default-browser-check",
      "--hide-scrollbars",
      "--disable-dev-shm-usage",
      `--user-data-dir=${profile}`,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  if (!out.success) {
    throw new Error(
      `chromium ${args.join(" ")} failed (${out.code}): ${
        new TextDecoder().decode(out.stderr).slice(-2000)
      }`,
    );
  }
  return new TextDecoder().decode(out.stdout);
}

/** What headless Chromium made of a page. */
export interface Rendered {
  /** The screenshot, a PNG. */
  png: Uint8Array;
  /** The DOM after the page's scripts ran (`--dump-dom`). */
  dom: string;
}

/**
 * Loads the file `page` in headless Chromium: a screenshot and the DOM.
 * Chromium's profiles are made in `dir` and removed afterwards.
 */
export async function render(
  command: string,
  page: string,
  width: number,
  height: number,
  dir: string,
): Promise<Rendered> {
  try {
    const url = `file://${page}`;
    const shot = join(dir, "shot.png");
    await chromium(command, join(dir, "profile-1"), [
      `--window-size=${width},${height}`,
      `--screenshot=${shot}`,
      url,
    ]);
    const dom = await chromium(command, join(dir, "profile-2"), [
      `--window-size=${width},${height}`,
      "--virtual-time-budget=2000",
      "--dump-dom",
      url,
    ]);
    return { png: await Deno.readFile(shot), dom };
  } finally {
    for (const profile of ["profile-1", "profile-2", "shot.png"]) {
      await Deno.remove(join(dir, profile), { recursive: true }).catch(
        () => {},
      );
    }
  }
}

/** Whether a process whose command line mentions `text` is running. */
export async function processMentioning(text: string): Promise<boolean> {
  const out = await new Deno.Command("ps", {
    args: ["-eo", "args"],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout).split("\n").some((line) =>
    line.includes(text) && !line.startsWith("ps ")
  );
}

/** A decoded PNG: RGBA pixels, row by row. */
export interface Image {
  width: number;
  height: number;
  rgba: Uint8Array;
}

/** Decodes an 8-bit RGB or RGBA PNG (what Chromium's screenshots are). */
export async function decodePng(png: Uint8Array): Promise<Image> {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const signature = [137, 80, 78, 71, 13, 10, 26, 10];
  if (!signature.every((b, i) => png[i] === b)) throw new Error("not a PNG");
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Uint8Array[] = [];
  for (let at = 8; at < png.length;) {
    const length = view.getUint32(at);
    const type = new TextDecoder().decode(png.subarray(at + 4, at + 8));
    const body = png.subarray(at + 8, at + 8 + length);
    if (type === "IHDR") {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      const depth = body[8];
      const colour = body[9];
      if (depth !== 8 || (colour !== 2 && colour !== 6) || body[12] !== 0) {
        throw new Error(`unsupported PNG: depth ${depth}, colour ${colour}`);
      }
      channels = colour === 6 ? 4 : 3;
    } else if (type === "IDAT") idat.push(body);
    else if (type === "IEND") break;
    at += 12 + length;
  }
  const inflated = new Uint8Array(
    await new Response(
      new Blob(idat as BlobPart[]).stream().pipeThrough(
        new DecompressionStream("deflate"),
      ),
    ).arrayBuffer(),
  );
  const stride = width * channels;
  const raw = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = inflated[y * (stride + 1)];
    const line = inflated.subarray(
      y * (stride + 1) + 1,
      (y + 1) * (stride + 1),
    );
    const out = raw.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? raw.subarray((y - 1) * stride, y * stride) : null;
    for (let x = 0; x < stride; x++) {
      const left = x >= channels ? out[x - channels] : 0;
      const up = prev ? prev[x] : 0;
      const corner = prev && x >= channels ? prev[x - channels] : 0;
      let predictor = 0;
      if (filter === 1) predictor = left;
      else if (filter === 2) predictor = up;
      else if (filter === 3) predictor = (left + up) >> 1;
      else if (filter === 4) {
        const p = left + up - corner;
        const pa = Math.abs(p - left);
        const pb = Math.abs(p - up);
        const pc = Math.abs(p - corner);
        predictor = pa <= pb && pa <= pc ? left : pb <= pc ? up : corner;
      }
      out[x] = (line[x] + predictor) & 255;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba[i * 4] = raw[i * channels];
    rgba[i * 4 + 1] = raw[i * channels + 1];
    rgba[i * 4 + 2] = raw[i * channels + 2];
    rgba[i * 4 + 3] = channels === 4 ? raw[i * channels + 3] : 255;
  }
  return { width, height, rgba };
}

/** A rectangle of an image: columns x0 to x1 and rows y0 to y1, excluded. */
export interface Region {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * How many pixels of `region` (default: all) are within `tolerance` of the
 * colour `[r, g, b]`.
 */
export function countColour(
  image: Image,
  [r, g, b]: [number, number, number],
  tolerance = 8,
  region: Region = { x0: 0, y0: 0, x1: image.width, y1: image.height },
): number {
  let n = 0;
  const px = image.rgba;
  for (
    let y = Math.max(0, region.y0);
    y < Math.min(image.height, region.y1);
    y++
  ) {
    for (
      let x = Math.max(0, region.x0);
      x < Math.min(image.width, region.x1);
      x++
    ) {
      const i = (y * image.width + x) * 4;
      if (
        Math.abs(px[i] - r) <= tolerance &&
        Math.abs(px[i + 1] - g) <= tolerance &&
        Math.abs(px[i + 2] - b) <= tolerance
      ) n++;
    }
  }
  return n;
}
