/**
 * A line-based chat server: a client's first line is its name, each line
 * after that goes to everyone else online, and `/quit` (or closing the
 * connection) leaves. Joins and departures are announced to the others.
 *
 * `chat.ts` runs it with a few scripted clients. Alone, it serves until
 * Ctrl-C, so you can chat with `nc 127.0.0.1 8888` from a few terminals:
 *
 *     deno run --allow-net=127.0.0.1 examples/chat/server.ts [port]
 *
 * @module
 */
import {
  CancelledError,
  Event,
  gather,
  run,
  type Server,
  startServer,
  type StreamReader,
  type StreamWriter,
} from "../../mod.ts";

const decoder = new TextDecoder();

/** Starts the chat server; `log` gets one line per event. */
export async function startChatServer(
  host: string,
  port: number,
  log: (line: string) => void = console.log,
): Promise<Server> {
  const clients = new Map<string, StreamWriter>(); // name -> its connection

  /** Sends a line to every client online except `sender`. */
  async function broadcast(line: string, sender?: string): Promise<void> {
    const to = [...clients].filter(([name]) => name !== sender);
    const names = to.map(([name]) => name).join(", ") || "nobody";
    log(`server | "${line}" -> ${names}`);
    for (const [, writer] of to) writer.write(`${line}\n`);
    // A client that went away fails its own drain only; its handler notices
    // the lost connection and says goodbye for it.
    await gather(...to.map(([, writer]) => writer.drain()), {
      returnExceptions: true,
    });
  }

  async function handleClient(reader: StreamReader, writer: StreamWriter) {
    const name = decoder.decode(await reader.readline()).trim();
    if (name === "" || clients.has(name)) {
      if (name !== "") writer.write(`* the name ${name} is taken, sorry\n`);
      writer.close();
      return;
    }
    clients.set(name, writer);
    log(`server | ${name} joined (${clients.size} online)`);
    const everyone = [...clients.keys()].join(", ");
    writer.write(`* welcome ${name}, online: ${everyone}\n`);
    let how = "connection closed";
    try {
      await broadcast(`* ${name} joined`, name);
      for await (const line of reader) {
        const text = decoder.decode(line).trim();
        if (text === "/quit") {
          how = "quit";
          break;
        }
        if (text !== "") await broadcast(`${name}: ${text}`, name);
      }
    } catch (error) {
      if (error instanceof CancelledError) {
        how = "server closing";
        throw error;
      }
      how = String(error); // a connection reset, say
    } finally {
      clients.delete(name);
      writer.close();
      log(`server | ${name} left: ${how} (${clients.size} online)`);
      await broadcast(`* ${name} left`);
    }
  }

  return await startServer(handleClient, host, port);
}

if (import.meta.main) {
  const port = Number(Deno.args[0] ?? 8888);
  await run(async () => {
    await using _server = await startChatServer("127.0.0.1", port);
    console.log(`Chat server on 127.0.0.1:${port}; Ctrl-C stops it`);
    // It serves from the start. Wait for Ctrl-C here rather than in
    // serveForever(), which, cancelled, waits for every client to leave (as
    // Python's does); leaving this block closes the clients' connections.
    await new Event().wait();
  });
}
