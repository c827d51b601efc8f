// A program for tests/streams_test.ts (run with `deno run --allow-net
// --allow-env`): it starts a server inside run() and returns without
// closing it, then a client connects. run() closes the server with its
// loop, so the client is refused (or reset), the program prints the
// error's name and exits with status 0. Before servers closed with their
// loop, the accept loop met the client and called into the closed loop:
// an unhandled "Event loop is closed" killed the process (or, with a
// rejection handler as `--handler` installs, the process never exited).
//
//   deno run --allow-net --allow-env tests/_server_after_run.ts [--tls] [--handler]
//
// --tls: a TLS server (certificate and key in $TLS_CERT and $TLS_KEY).
import { run, type ServerTls, startServer } from "../mod.ts";

const HOST = "127.0.0.1";

if (Deno.args.includes("--handler")) {
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    console.log(`unhandled rejection: ${event.reason}`);
  });
}
const ssl: ServerTls | null = Deno.args.includes("--tls")
  ? { cert: Deno.env.get("TLS_CERT")!, key: Deno.env.get("TLS_KEY")! }
  : null;

const port = await run(async () => {
  const server = await startServer(() => {}, HOST, 0, { ssl });
  return (server.sockets[0].getsockname() as [string, number])[1];
});
// A client that comes a moment later (it may still be reset rather than
// refused: Deno closes the listening socket once its pending accept ends).
await new Promise((resolve) => setTimeout(resolve, 100));
try {
  const conn = await Deno.connect({ hostname: HOST, port });
  console.log("connected");
  // Let the server's accept loop see it, as a real client would.
  await new Promise((resolve) => setTimeout(resolve, 200));
  conn.close();
} catch (error) {
  console.log((error as Error).name);
}
