// A program for the ps/pstree tests (tests/inspect_test.ts), inspected
// from another process: a server with two clients connected, a task
// holding a Lock and one stuck on it, a task waiting for an Event, and
// (with "cycle") two tasks marked as awaiting each other, (with "worker") a
// WorkerLoop running a task. It prints "ready" once all are waiting, and
// ends when its stdin does.
import {
  Event,
  ExceptionGroup,
  futureAddToAwaitedBy,
  Lock,
  openConnection,
  run,
  sleep,
  startServer,
  type StreamReader,
  type StreamWriter,
  taskGroup,
  WorkerLoop,
  workerModule,
  wrapFuture,
} from "../mod.ts";
import type * as Jobs from "./_inspect_jobs.ts";

const args = new Set(Deno.args);
const jobs = workerModule<typeof Jobs>(
  new URL("./_inspect_jobs.ts", import.meta.url),
);

async function echo(reader: StreamReader, writer: StreamWriter) {
  for (;;) {
    const line = await reader.readline();
    if (line.length === 0) break;
    writer.write(line);
    await writer.drain();
  }
  writer.close();
}

async function client(port: number, greeting: string) {
  const [reader, writer] = await openConnection("127.0.0.1", port);
  writer.write(`${greeting}\n`);
  await reader.readline();
  // The server says nothing more: this read waits for ever.
  await reader.readline();
}

async function holdLock(lock: Lock) {
  await lock.acquire();
  await sleep(3600);
}

async function stuckOnLock(lock: Lock) {
  await lock.acquire();
}

async function waitForShutdown(event: Event) {
  await event.wait();
}

class Shutdown extends Error {}

await run(async function main() {
  try {
    await serve();
  } catch (error) {
    if (
      !(error instanceof ExceptionGroup) ||
      !error.errors.every((e) => e instanceof Shutdown)
    ) {
      throw error;
    }
  }
});

async function serve() {
  const server = await startServer(echo, "127.0.0.1", 0);
  const port = (server.sockets[0].getsockname() as [string, number])[1];
  const lock = new Lock();
  const shutdown = new Event();
  await using worker = args.has("worker")
    ? await WorkerLoop.start({ name: "side-loop" })
    : null;
  await taskGroup(async (tg) => {
    tg.createTask(() => server.serveForever(), { name: "server" });
    tg.createTask(() => client(port, "one"), { name: "client-1" });
    tg.createTask(() => client(port, "two"), { name: "client-2" });
    tg.createTask(() => holdLock(lock), { name: "holder" });
    tg.createTask(() => stuckOnLock(lock), { name: "stuck" });
    tg.createTask(() => waitForShutdown(shutdown), { name: "shutdown" });
    tg.createTask(async function readStdin() {
      await wrapFuture(new Response(Deno.stdin.readable).text());
      shutdown.set();
      // The end: the clients' connections close, then every task is
      // cancelled (serveForever waits for the connections, as Python's).
      server.closeClients();
      throw new Shutdown();
    }, { name: "stdin" });
    if (args.has("cycle")) {
      // Two tasks that say they await each other (a real one would also
      // make cancelling either recurse for ever, in CPython as here).
      const a = tg.createTask(() => shutdown.wait(), { name: "cycle-a" });
      const b = tg.createTask(() => shutdown.wait(), { name: "cycle-b" });
      futureAddToAwaitedBy(a, b);
      futureAddToAwaitedBy(b, a);
    }
    if (worker !== null) worker.runCoroutineThreadsafe(jobs.sideJob);
    await sleep(0.3);
    console.log("ready");
  });
}
