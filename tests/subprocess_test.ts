// Tests of createSubprocessExec, createSubprocessShell and Process
// (src/subprocess.ts). Expected behaviour that is not obvious was checked
// against CPython 3.11's asyncio.subprocess (the programs' output is quoted
// in the comments). Every test waits for its children (wait() or
// communicate()), so Deno's sanitizers see no process or pipe left open.
import assert from "node:assert/strict";
import {
  createSubprocessExec,
  createSubprocessShell,
  DEVNULL,
  LimitOverrunError,
  PIPE,
  run,
  sleep,
  STDOUT,
} from "../mod.ts";
import { errorOf } from "./_helpers.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function text(data: Uint8Array | null): string {
  assert.ok(data !== null, "expected bytes, got null");
  return decoder.decode(data);
}

/** `n` bytes of 16-byte lines "abcdefghijklmno\n", as `yes` prints them. */
function yesLines(n: number): Uint8Array {
  const line = encoder.encode("abcdefghijklmno\n");
  const out = new Uint8Array(n);
  for (let at = 0; at < n; at += line.length) {
    out.set(line.subarray(0, Math.min(line.length, n - at)), at);
  }
  return out;
}

// ================================================================ pipes

Deno.test("exec with stdout PIPE: echo's output, returncode 0, a positive integer pid", async () => {
  await run(async () => {
    const proc = await createSubprocessExec("echo", "hello", "world", {
      stdout: PIPE,
    });
    assert.ok(Number.isInteger(proc.pid) && proc.pid > 0, `pid ${proc.pid}`);
    assert.equal(proc.stdin, null);
    assert.equal(proc.stderr, null);
    assert.ok(proc.stdout !== null);
    const [out, err] = await proc.communicate();
    assert.equal(text(out), "hello world\n");
    assert.equal(err, null);
    assert.equal(proc.returncode, 0);
    assert.equal(await proc.wait(), 0);
    assert.equal(String(proc), `<Process ${proc.pid}>`);
  });
});

Deno.test("exec: the options object may be left out (the child inherits stdio)", async () => {
  await run(async () => {
    const proc = await createSubprocessExec("true");
    assert.equal(proc.stdout, null);
    assert.equal(await proc.wait(), 0);
  });
});

Deno.test("shell with env and cwd: the variable is added to the environment, the command runs in cwd", async () => {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "asyncio-sub-" });
  try {
    await run(async () => {
      const proc = await createSubprocessShell(
        'echo "$GREETING"; pwd; test -n "$PATH" && echo inherited',
        { stdout: PIPE, env: { GREETING: "hi there" }, cwd: dir },
      );
      const [out] = await proc.communicate();
      assert.equal(
        text(out),
        `hi there\n${await Deno.realPath(dir)}\ninherited\n`,
      );
      assert.equal(proc.returncode, 0);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("exec with clearEnv: the child sees only env", async () => {
  // CPython: create_subprocess_exec("env", env={"ONLY": "1"}) prints
  // b'ONLY=1\n'.
  await run(async () => {
    const proc = await createSubprocessExec("/usr/bin/env", {
      stdout: PIPE,
      env: { ONLY: "1" },
      clearEnv: true,
    });
    const [out] = await proc.communicate();
    assert.equal(text(out), "ONLY=1\n");
  });
});

Deno.test("communicate(input) feeds stdin and closes it: cat echoes it back", async () => {
  await run(async () => {
    const proc = await createSubprocessExec("cat", {
      stdin: PIPE,
      stdout: PIPE,
    });
    const [out, err] = await proc.communicate("héllo\nworld");
    assert.equal(text(out), "héllo\nworld");
    assert.equal(err, null);
    assert.equal(proc.returncode, 0);

    const bytes = await createSubprocessExec("cat", {
      stdin: PIPE,
      stdout: PIPE,
    });
    const [raw] = await bytes.communicate(new Uint8Array([0, 1, 255, 10]));
    assert.deepEqual(raw, new Uint8Array([0, 1, 255, 10]));
  });
});

Deno.test("stdin PIPE and stdout PIPE talk line by line to a running child", async () => {
  await run(async () => {
    const proc = await createSubprocessExec("cat", {
      stdin: PIPE,
      stdout: PIPE,
    });
    for (const line of ["one\n", "two\n"]) {
      proc.stdin!.write(line);
      await proc.stdin!.drain();
      assert.equal(text(await proc.stdout!.readline()), line);
    }
    assert.equal(proc.returncode, null);
    proc.stdin!.close();
    await proc.stdin!.waitClosed();
    assert.equal((await proc.stdout!.read()).length, 0);
    assert.equal(await proc.wait(), 0);
  });
});

Deno.test("communicate(input) without stdin PIPE throws", async () => {
  // CPython fails too (AttributeError: stdin is None).
  await run(async () => {
    const proc = await createSubprocessExec("true", { stdout: PIPE });
    assert.throws(() => proc.communicate("input"), /stdin/);
    await proc.communicate();
    assert.equal(proc.returncode, 0);
  });
});

Deno.test("stderr PIPE is read separately from stdout", async () => {
  await run(async () => {
    const proc = await createSubprocessShell(
      "echo out; echo err >&2; echo out2; exit 2",
      { stdout: PIPE, stderr: PIPE },
    );
    const [out, err] = await proc.communicate();
    assert.equal(text(out), "out\nout2\n");
    assert.equal(text(err), "err\n");
    assert.equal(proc.returncode, 2);
  });
});

Deno.test("stderr STDOUT merges stderr into the stdout pipe; proc.stderr is null", async () => {
  // CPython: (b'out\nerr\n', None), proc.stderr None.
  await run(async () => {
    const proc = await createSubprocessShell("echo out; echo err >&2", {
      stdout: PIPE,
      stderr: STDOUT,
    });
    assert.equal(proc.stderr, null);
    const [out, err] = await proc.communicate();
    assert.equal(err, null);
    // Both lines arrive; their order is only checked by the next test.
    assert.deepEqual(text(out).split("\n").sort(), ["", "err", "out"]);
  });
});

Deno.test({
  name: "stderr STDOUT keeps the order of interleaved stdout and stderr writes",
  async fn() {
    await run(async () => {
      const proc = await createSubprocessShell(
        'for i in 1 2 3 4 5 6 7 8; do echo "o$i"; echo "e$i" >&2; done',
        { stdout: PIPE, stderr: STDOUT },
      );
      const [out] = await proc.communicate();
      const expected = [1, 2, 3, 4, 5, 6, 7, 8].flatMap((i) => [
        `o${i}`,
        `e${i}`,
      ]);
      assert.deepEqual(text(out).trim().split("\n"), expected);
    });
  },
});

Deno.test("DEVNULL: output thrown away, stdin at EOF at once", async () => {
  // CPython: stdout=DEVNULL communicate() -> (None, None); cat with
  // stdin=DEVNULL prints b''.
  await run(async () => {
    const quiet = await createSubprocessShell("echo unseen; echo gone >&2", {
      stdout: DEVNULL,
      stderr: DEVNULL,
    });
    assert.equal(quiet.stdout, null);
    assert.equal(quiet.stderr, null);
    assert.deepEqual(await quiet.communicate(), [null, null]);
    assert.equal(quiet.returncode, 0);

    const cat = await createSubprocessExec("cat", {
      stdin: DEVNULL,
      stdout: PIPE,
    });
    assert.equal(cat.stdin, null);
    const [out] = await cat.communicate();
    assert.equal(text(out), "");
    assert.equal(cat.returncode, 0);
  });
});

// ======================================================= exit and signals

Deno.test("returncode is null while running, then the exit status (3)", async () => {
  // CPython: None 3 3.
  await run(async () => {
    const proc = await createSubprocessShell("sleep 0.1; exit 3");
    assert.equal(proc.returncode, null);
    assert.equal(await proc.wait(), 3);
    assert.equal(proc.returncode, 3);
    assert.equal(await proc.wait(), 3);
  });
});

Deno.test("kill() gives returncode -9, terminate() -15, sendSignal by name or number", async () => {
  // CPython: kill -9, term -15.
  await run(async () => {
    const killed = await createSubprocessExec("sleep", "30");
    killed.kill();
    assert.equal(await killed.wait(), -9);
    assert.equal(killed.returncode, -9);

    const terminated = await createSubprocessExec("sleep", "30");
    terminated.terminate();
    assert.equal(await terminated.wait(), -15);

    const byNumber = await createSubprocessExec("sleep", "30");
    byNumber.sendSignal(15);
    assert.equal(await byNumber.wait(), -15);

    const byName = await createSubprocessExec("sleep", "30");
    byName.sendSignal("SIGUSR1");
    assert.equal(await byName.wait(), -10);
  });
});

Deno.test("sendSignal to a process that has exited throws an Error named ProcessLookupError", async () => {
  // CPython: ProcessLookupError.
  await run(async () => {
    const proc = await createSubprocessExec("true");
    await proc.wait();
    for (
      const send of [
        () => proc.sendSignal("SIGTERM"),
        () => proc.terminate(),
        () => proc.kill(),
      ]
    ) {
      const error = (() => {
        try {
          send();
        } catch (e) {
          return e;
        }
        assert.fail("signalling an exited process should throw");
      })();
      assert.ok(error instanceof Error);
      assert.equal(error.name, "ProcessLookupError");
    }
  });
});

Deno.test("sendSignal with an unknown signal number is a RangeError (and the child is left alone)", async () => {
  await run(async () => {
    const proc = await createSubprocessExec("sleep", "30");
    assert.throws(() => proc.sendSignal(9999), RangeError);
    assert.equal(proc.returncode, null);
    proc.kill();
    assert.equal(await proc.wait(), -9);
  });
});

Deno.test("a killed child's stdout pipe ends (EOF) and communicate() returns what it printed", async () => {
  await run(async () => {
    const proc = await createSubprocessShell("echo started; exec sleep 30", {
      stdout: PIPE,
    });
    assert.equal(text(await proc.stdout!.readline()), "started\n");
    proc.kill();
    const [out] = await proc.communicate();
    assert.equal(text(out), "");
    assert.equal(proc.returncode, -9);
  });
});

// ================================================================ streaming

Deno.test("readline streams lines as a child prints them, before it exits", async () => {
  await run(async () => {
    const proc = await createSubprocessShell(
      'for i in 1 2 3; do echo "line $i"; sleep 0.15; done',
      { stdout: PIPE },
    );
    assert.equal(text(await proc.stdout!.readline()), "line 1\n");
    assert.equal(proc.returncode, null, "the first line came only at exit");
    const rest: string[] = [];
    for await (const line of proc.stdout!) rest.push(text(line));
    assert.deepEqual(rest, ["line 2\n", "line 3\n"]);
    assert.equal(await proc.wait(), 0);
  });
});

Deno.test("a child writing 1 MiB through a pipe is read in full", async () => {
  await run(async () => {
    const n = 1 << 20;
    const proc = await createSubprocessShell(
      `yes abcdefghijklmno | head -c ${n}`,
      { stdout: PIPE },
    );
    // Read it slowly at first: the pipe's flow control holds the child.
    await sleep(0.05);
    const out = await proc.stdout!.read();
    assert.equal(out.length, n);
    assert.deepEqual(out, yesLines(n));
    assert.equal(await proc.wait(), 0);
  });
});

Deno.test("1 MiB through cat with communicate(): stdin and stdout pipes both carry it", async () => {
  await run(async () => {
    const input = yesLines(1 << 20);
    const proc = await createSubprocessExec("cat", {
      stdin: PIPE,
      stdout: PIPE,
      stderr: PIPE,
    });
    const [out, err] = await proc.communicate(input);
    assert.equal(out!.length, input.length);
    assert.deepEqual(out, input);
    assert.equal(text(err), "");
    assert.equal(proc.returncode, 0);
  });
});

Deno.test("the limit option applies to the pipe readers: an over-long line is a LimitOverrunError", async () => {
  await run(async () => {
    const proc = await createSubprocessShell("echo 0123456789abcdef; echo ok", {
      stdout: PIPE,
      limit: 8,
    });
    assert.equal(proc.stdout!.limit, 8);
    await assert.rejects(proc.stdout!.readline(), LimitOverrunError);
    assert.equal(text(await proc.stdout!.readline()), "ok\n");
    await proc.communicate();
  });
});

Deno.test("communicate(input) to a child that stops reading: the unread input is dropped", async () => {
  // CPython ignores the BrokenPipeError of the unread input.
  await run(async () => {
    const proc = await createSubprocessShell("head -c 10", {
      stdin: PIPE,
      stdout: PIPE,
    });
    const [out] = await proc.communicate(yesLines(4 << 20));
    assert.equal(text(out), "abcdefghij");
    assert.equal(proc.returncode, 0);
  });
});

Deno.test({
  name:
    "communicate(input) after the child exited without reading returns its output",
  async fn() {
    await run(async () => {
      const proc = await createSubprocessExec("true", {
        stdin: PIPE,
        stdout: PIPE,
      });
      await proc.wait();
      const [out] = await proc.communicate(yesLines(1 << 20));
      assert.equal(text(out), "");
      assert.equal(proc.returncode, 0);
    });
  },
});

// ============================================================ bad options

Deno.test("bad options fail at the call: RangeError for a stream value, TypeError for a non-string", async () => {
  // CPython raises for an unknown program (FileNotFoundError) too.
  await run(async () => {
    const call = (f: () => unknown) => errorOf((async () => await f())());
    assert.ok(
      (await call(() =>
        createSubprocessExec("echo", { stdout: 5 as never })
      )) instanceof RangeError,
    );
    assert.ok(
      (await call(() =>
        createSubprocessExec("echo", { stdin: STDOUT as never })
      )) instanceof RangeError,
    );
    assert.ok(
      (await call(() =>
        createSubprocessExec("echo", { stdout: STDOUT as never })
      )) instanceof RangeError,
    );
    assert.ok(
      (await call(() =>
        createSubprocessShell("echo", { stderr: "pipe" as never })
      )) instanceof RangeError,
    );
    assert.ok(
      (await call(() => createSubprocessExec("echo", 42 as never))) instanceof
        TypeError,
    );
    assert.ok(
      (await call(() =>
        createSubprocessExec("echo", { stdout: PIPE }, "late" as never)
      )) instanceof TypeError,
    );
    assert.ok(
      (await call(() => createSubprocessExec(42 as never))) instanceof
        TypeError,
    );
    assert.ok(
      (await call(() => createSubprocessShell(["ls"] as never))) instanceof
        TypeError,
    );
    assert.ok(
      (await call(() =>
        createSubprocessExec("/nonexistent/program-for-asyncio-tests")
      )) instanceof Deno.errors.NotFound,
    );
  });
});
