// Inspecting a process from another (src/_inspect.ts, src/inspect.ts and
// ps.ts): off by default, a Unix socket in a private directory or TCP with
// a token when on, and `deno task ps` / `pstree` run against a real second
// process (tests/_inspect_target.ts: a server with two clients, a task
// stuck on a Lock, a WorkerLoop, two tasks marked as awaiting each other).
import assert from "node:assert/strict";
import {
  createTask,
  inspectProcess,
  Lock,
  newEventLoop,
  run,
  sleep,
} from "../mod.ts";

const root = new URL("../", import.meta.url);
const uid = Deno.uid();
const dirIn = (tmp: string) => `${tmp}/asyncio-${uid}`;
const DIR = dirIn(Deno.env.get("TMPDIR") || "/tmp");
const PERMISSIONS = [
  "--allow-read",
  "--allow-write=/tmp",
  "--allow-net",
  "--allow-env",
  "--allow-sys",
];

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

const modeOf = (path: string) => (Deno.lstatSync(path).mode ?? 0) & 0o777;

Deno.test("inspection is off by default: no socket, no file, nothing to ask", async () => {
  const loop = newEventLoop();
  loop.close();
  await run(async () => {
    assert.equal(exists(`${DIR}/${Deno.pid}.sock`), false);
    assert.equal(exists(`${DIR}/${Deno.pid}.json`), false);
    await assert.rejects(inspectProcess(Deno.pid), /cannot be inspected/);
  });
});

Deno.test("run(main, { inspect: true }) answers on a Unix socket only its user can reach", async () => {
  const socket = `${DIR}/${Deno.pid}.sock`;
  await run(async function main() {
    assert.equal(modeOf(DIR), 0o700);
    assert.equal(Deno.lstatSync(DIR).uid, uid);
    assert.ok(Deno.lstatSync(socket).isSocket);
    assert.equal(modeOf(socket), 0o600);
    const lock = new Lock();
    await lock.acquire();
    const stuck = createTask(async function stuckOnLock() {
      await lock.acquire();
    }, { name: "stuck" });
    await sleep(0.05);
    const [tree] = await inspectProcess(Deno.pid);
    assert.equal(tree.pid, Deno.pid);
    assert.equal(tree.recorded, true);
    const me = tree.tasks.find((t) => t.coro === "main");
    // It waits for the answer: a host promise, to the loop.
    assert.equal(me?.state, "foreign");
    const info = tree.tasks.find((t) => t.name === "stuck");
    assert.equal(info?.awaiting?.operation, "Lock.acquire");
    assert.equal(info?.stack[0].name, "stuckOnLock");
    assert.ok((info?.suspendedFor ?? -1) >= 0);
    lock.release();
    await stuck;
  }, { inspect: true });
  assert.equal(exists(socket), false, "the socket is removed with the loop");
});

Deno.test("inspect: 'tcp' listens on loopback and answers only the token in its 0600 file", async () => {
  const file = `${DIR}/${Deno.pid}.json`;
  await run(async () => {
    assert.equal(modeOf(file), 0o600);
    const { port, token } = JSON.parse(Deno.readTextFileSync(file));
    assert.equal(typeof token, "string");
    assert.ok(token.length >= 32);
    const [tree] = await inspectProcess(Deno.pid);
    assert.ok(tree.tasks.length >= 1);
    const [byAddress] = await inspectProcess(`127.0.0.1:${port}`, { token });
    assert.ok(byAddress.tasks.length >= 1);
    await assert.rejects(
      inspectProcess(`127.0.0.1:${port}`, { token: "0".repeat(64) }),
      /refused: wrong token/,
    );
    await assert.rejects(
      inspectProcess(`127.0.0.1:${port}`),
      /needs its token/,
    );
    // A connection that says nothing is dropped, not answered.
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode("{}\n"));
    const reply = new Uint8Array(100);
    const n = await conn.read(reply);
    conn.close();
    assert.match(new TextDecoder().decode(reply.subarray(0, n ?? 0)), /token/);
  }, { inspect: "tcp" });
  assert.equal(exists(file), false, "the token file is removed with the loop");
});

// ------------------------------------------------- another process

interface Target {
  pid: number;
  stderr: () => Promise<string>;
  /** Ends its stdin (it then ends its tasks) and waits; its exit code. */
  stop(): Promise<number>;
  /** Kills it (SIGKILL) and waits. */
  kill(): Promise<void>;
}

/** Starts tests/_inspect_target.ts and waits until it says "ready". */
async function startTarget(
  args: string[],
  env: Record<string, string> = { ASYNCIO_INSPECT: "1" },
): Promise<Target> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...PERMISSIONS,
      new URL("tests/_inspect_target.ts", root).pathname,
      ...args,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const decoder = new TextDecoder();
  let out = "";
  const reader = child.stdout.getReader();
  while (!out.includes("ready\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    out += decoder.decode(value, { stream: true });
  }
  const drained = (async () => {
    while (!(await reader.read()).done);
  })();
  const end = async () => {
    const { code } = await child.status;
    clearTimeout(killer);
    await drained;
    await stderr;
    return code;
  };
  if (!out.includes("ready\n")) {
    await child.stdin.close();
    await end();
    throw new Error(`the target did not start: ${out}${await stderr}`);
  }
  return {
    pid: child.pid,
    stderr: () => stderr,
    async stop() {
      await child.stdin.close();
      return await end();
    },
    async kill() {
      child.kill("SIGKILL");
      await child.stdin.close().catch(() => {});
      await end();
    },
  };
}

/** `deno run ps.ts ...args`, as `deno task ps` runs it. */
async function ps(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, new URL("ps.ts", root).pathname, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder();
  return {
    code: out.code,
    stdout: text.decode(out.stdout),
    stderr: text.decode(out.stderr),
  };
}

Deno.test("ps and pstree show a real server's tasks, what each awaits, and its Worker", async () => {
  const target = await startTarget(["worker"]);
  let code: number;
  try {
    const socket = `${DIR}/${target.pid}.sock`;
    assert.ok(Deno.lstatSync(socket).isSocket);

    const table = await ps("ps", String(target.pid));
    assert.equal(table.code, 0, table.stderr);
    const rows = table.stdout.split("\n");
    assert.match(rows[0], /^tid +task id +task name +state +awaits +for /);
    const row = (name: string) => {
      const found = rows.find((r) =>
        new RegExp(`^\\S+ +0x\\w+ +${name} `).test(r)
      );
      assert.ok(found, `no row for ${name} in\n${table.stdout}`);
      return found;
    };
    assert.match(
      row("stuck"),
      /suspended +Lock\.acquire <Lock \[locked, waiters:1\]>/,
    );
    assert.match(row("stuck"), /stuckOnLock +serve -> main +Task-1 +0x/);
    assert.match(row("holder"), /suspended +sleep, \d+s left/);
    assert.match(row("shutdown"), /Event\.wait <Event \[unset, waiters:1\]>/);
    for (const client of ["client-1", "client-2"]) {
      assert.match(
        row(client),
        /StreamReader\.readuntil \(from 127\.0\.0\.1:\d+\)/,
      );
    }
    assert.match(row("server"), /Server\.serveForever <Server sockets=/);
    assert.match(row("Task-1"), /TaskGroup of 7 tasks/);
    assert.match(row("stdin"), /suspended +wrapFuture \(a promise\)/);
    // The server's two connection handlers, reading.
    const handlers = rows.filter((r) => /Server\.echo/.test(r));
    assert.equal(handlers.length, 2, table.stdout);
    // The Worker's loop, under its own thread.
    assert.match(
      table.stdout,
      /^side-loop +0x\w+ +Task-\d+ +suspended +sleep, /m,
    );

    const tree = await ps("pstree", String(target.pid));
    assert.equal(tree.code, 0, tree.stderr);
    const lines = tree.stdout.split("\n");
    assert.equal(lines[0], "└── (T) Task-1");
    assert.match(lines[1], /^ {4}└── {2}main \S+_inspect_target\.ts:\d+$/);
    assert.match(lines[2], /^ {8}└── {2}serve \S+_inspect_target\.ts:\d+$/);
    const under = (name: string) =>
      lines.findIndex((l) => l.endsWith(`── (T) ${name}`));
    for (const name of ["server", "client-1", "client-2", "holder", "stuck"]) {
      assert.match(lines[under(name)], /^ {12}[├└]── \(T\) /, name);
    }
    assert.match(lines[under("stuck") + 1], /└── {2}stuckOnLock \S+:\d+$/);
    assert.match(
      lines[under("stuck") + 2],
      /└── \(W\) Lock\.acquire <Lock \[locked, waiters:1\]>, suspended for [\d.]+s$/,
    );
    assert.match(
      tree.stdout,
      /^└── \(thread\) side-loop\n {4}└── \(T\) Task-\d+\n {8}└── {2}sideJob/m,
    );
    assert.match(tree.stdout, /\(W\) sleep, \d+s left/);

    const json = await ps(String(target.pid), "--json");
    assert.equal(json.code, 0, json.stderr);
    const trees = JSON.parse(json.stdout);
    assert.equal(trees[0].pid, target.pid);
    assert.equal(trees[0].workers[0].thread, "side-loop");
  } finally {
    code = await target.stop();
  }
  assert.equal(code, 0, await target.stderr());
  assert.equal(exists(`${DIR}/${target.pid}.sock`), false);
});

Deno.test("pstree reports tasks awaiting each other as CPython does, over TCP", async () => {
  const target = await startTarget(["cycle"], { ASYNCIO_INSPECT: "tcp" });
  const file = `${DIR}/${target.pid}.json`;
  try {
    assert.equal(modeOf(file), 0o600);
    const tree = await ps("pstree", String(target.pid));
    assert.equal(tree.code, 1);
    assert.equal(tree.stdout, "");
    assert.equal(
      tree.stderr,
      "ERROR: await-graph contains cycles - cannot print a tree!\n\n" +
        "cycle: cycle-a → cycle-b → cycle-a\n",
    );
    const table = await ps("ps", String(target.pid));
    assert.equal(table.code, 0, table.stderr);
    assert.match(
      table.stdout,
      / cycle-a +suspended +Event\.wait .* cycle-b +0x/,
    );
    const { port } = JSON.parse(Deno.readTextFileSync(file));
    const refused = await ps(`127.0.0.1:${port}`, "--token", "nope");
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /refused: wrong token/);
  } finally {
    await target.kill();
  }
  // Killed, it could not remove its file: ps says the process is gone.
  const gone = await ps("ps", String(target.pid));
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /cannot reach the inspector of \d+/);
  Deno.removeSync(file);
});

Deno.test("ps says so when a process is not inspectable", async () => {
  const out = await ps("ps", "999999999");
  assert.equal(out.code, 1);
  assert.match(out.stderr, /process 999999999 cannot be inspected/);
  const usage = await ps();
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /^usage: /);
});

Deno.test("a directory other users can enter is refused, never used", async () => {
  const tmp = Deno.makeTempDirSync({ prefix: "asyncio-inspect-test-" });
  try {
    const dir = dirIn(tmp);
    Deno.mkdirSync(dir);
    Deno.chmodSync(dir, 0o777);
    const open = await startTarget([], { ASYNCIO_INSPECT: "1", TMPDIR: tmp });
    await open.stop();
    assert.match(
      await open.stderr(),
      /cannot be inspected: .* open to other users/,
    );
    assert.deepEqual([...Deno.readDirSync(dir)], []);
    if (uid === 0) {
      // Root can hand it to someone else: still refused.
      Deno.chmodSync(dir, 0o700);
      Deno.chownSync(dir, 65534, 65534);
      const other = await startTarget([], {
        ASYNCIO_INSPECT: "1",
        TMPDIR: tmp,
      });
      await other.stop();
      assert.match(await other.stderr(), /belongs to another user/);
      assert.deepEqual([...Deno.readDirSync(dir)], []);
    }
  } finally {
    Deno.removeSync(tmp, { recursive: true });
  }
});
