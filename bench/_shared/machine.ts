/**
 * The machine a benchmark ran on, for the header line of every report:
 * the CPU model (`/proc/cpuinfo` "model name", else `lscpu`), the number
 * of CPUs this process may use, the OS (`Deno.osRelease()` or
 * `/proc/sys/kernel/osrelease`, and `/etc/os-release`) and the Deno and V8
 * versions. Deno reads `/proc` files only with `-A`; without it, `lscpu`
 * (`--allow-run`) and `--allow-sys` fill in, and what is not allowed is
 * left out (never prompted for).
 * Runners record it in their JSON (they run with more permissions than the
 * report printers); a report printer reads it from there, or measures it
 * itself for a JSON that has none.
 *
 * @module
 */

/** What a report says about the machine. */
export interface Machine {
  /** CPU model, e.g. "AMD EPYC" ("unknown CPU" if nothing says). */
  cpu: string;
  /** Logical CPUs this process may use (`navigator.hardwareConcurrency`). */
  cores: number;
  /** Kernel and distribution, e.g. "Linux 6.1.0 (Debian GNU/Linux 12)". */
  os: string;
  /** Deno's version. */
  deno: string;
  /** V8's version. */
  v8: string;
}

function readText(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return ""; // absent, or not allowed (Deno wants -A for /proc files)
  }
}

// Asked first, so that a missing permission never prompts.
function granted(descriptor: Deno.PermissionDescriptor): boolean {
  try {
    return Deno.permissions.querySync(descriptor).state === "granted";
  } catch {
    return false;
  }
}

function cpuModel(): string {
  const cpuinfo = readText("/proc/cpuinfo");
  const model = /^(?:model name|Model|cpu model)\s*:\s*(.+)$/m.exec(cpuinfo);
  if (model !== null) return model[1].trim();
  if (!granted({ name: "run", command: "lscpu" })) {
    return `unknown CPU (${Deno.build.arch})`;
  }
  try {
    // ARM Linux and others: lscpu knows (needs --allow-run).
    const out = new Deno.Command("lscpu", { stdout: "piped", stderr: "null" })
      .outputSync();
    const name = /^Model name:\s*(.+)$/m.exec(
      new TextDecoder().decode(out.stdout),
    );
    if (name !== null) return name[1].trim();
  } catch {
    // no lscpu, or no permission to run it
  }
  return `unknown CPU (${Deno.build.arch})`;
}

function osName(): string {
  let kernel = "";
  if (granted({ name: "sys", kind: "osRelease" })) {
    try {
      kernel = Deno.osRelease();
    } catch {
      // not on this platform
    }
  }
  if (kernel === "") kernel = readText("/proc/sys/kernel/osrelease").trim();
  const distro = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(
    readText("/etc/os-release"),
  )?.[1];
  const os = Deno.build.os === "linux" ? "Linux" : Deno.build.os;
  return `${os}${kernel ? ` ${kernel}` : ""}${distro ? ` (${distro})` : ""}`;
}

let cached: Machine | undefined;

/** This machine (measured once per process). */
export function machineInfo(): Machine {
  cached ??= {
    cpu: cpuModel(),
    cores: navigator.hardwareConcurrency,
    os: osName(),
    deno: Deno.version.deno,
    v8: Deno.version.v8,
  };
  return cached;
}

/**
 * The header line of a report: "CPU, N CPUs; OS; deno X (V8 Y)", then
 * `more` (Python versions and the like), separated by "; ".
 */
export function machineLine(
  machine: Machine | undefined,
  ...more: string[]
): string {
  const m = machine ?? machineInfo();
  return [
    `${m.cpu}, ${m.cores} CPUs`,
    m.os,
    `deno ${m.deno} (V8 ${m.v8})`,
    ...more,
  ].join("; ");
}
