/**
 * A chat, start to end: starts the chat server of ./server.ts on a free
 * port of 127.0.0.1, and three scripted clients join, talk and leave (two
 * with /quit, one by dropping its connection). Each line shows what the
 * server relays to whom, and what each client says (>) and sees (|); the
 * summary counts what every client received.
 *
 *     deno run --allow-net=127.0.0.1 examples/chat/chat.ts
 *
 * @module
 */
import {
  coroutine,
  createTask,
  gather,
  getRunningLoop,
  openConnection,
  run,
  sleep,
} from "../../mod.ts";
import { startChatServer } from "./server.ts";

const HOST = "127.0.0.1";

/** A scripted client: when it joins, what it says when, how it leaves. */
interface Person {
  name: string;
  joinAt: number; // seconds from the start
  says: Array<[at: number, text: string]>;
  leaveAt: number;
  leaves: "quit" | "drop"; // with /quit, or by closing its connection
}

const PEOPLE: Person[] = [
  {
    name: "alice",
    joinAt: 0.0,
    says: [
      [0.3, "Morning! Is the build green again?"],
      [0.7, "Thanks carol, noted."],
      [1.1, "Anyone still here?"],
    ],
    leaveAt: 1.2,
    leaves: "quit",
  },
  {
    name: "bob",
    joinAt: 0.1,
    says: [[0.4, "It is, I fixed the flaky test."], [0.9, "Off to lunch."]],
    leaveAt: 1.0,
    leaves: "drop",
  },
  {
    name: "carol",
    joinAt: 0.5,
    says: [[0.6, "Hi both, just a reminder: release at 3pm."]],
    leaveAt: 0.8,
    leaves: "quit",
  },
];

const decoder = new TextDecoder();
let startedAt = 0;

async function sleepUntil(at: number): Promise<void> {
  await sleep(Math.max(0, startedAt + at - getRunningLoop().time()));
}

/** Plays a person's script; resolves to the lines it received. */
const chat = coroutine(async (port: number, person: Person) => {
  const { name, says, leaves } = person;
  const show = (mark: string, text: string) =>
    console.log(`${name.padEnd(6)} ${mark} ${text}`);

  await sleepUntil(person.joinAt);
  const [reader, writer] = await openConnection(HOST, port);
  writer.write(`${name}\n`);
  const received: string[] = [];
  const listening = createTask(async () => {
    for await (const line of reader) {
      const text = decoder.decode(line).trimEnd();
      received.push(text);
      show("|", text);
    }
  });

  for (const [at, text] of says) {
    await sleepUntil(at);
    show(">", text);
    writer.write(`${text}\n`);
    await writer.drain();
  }

  await sleepUntil(person.leaveAt);
  if (leaves === "quit") {
    show(">", "/quit");
    writer.write("/quit\n");
    await listening; // until the server closes the connection
  } else {
    show("x", "(drops the connection)");
    listening.cancel();
  }
  writer.close();
  await writer.waitClosed();
  return received;
});

async function main(): Promise<void> {
  await using server = await startChatServer(HOST, 0);
  const [, port] = server.sockets[0].getsockname() as [string, number];
  console.log(`Chat server listening on ${HOST}:${port}`);
  startedAt = getRunningLoop().time();

  const received = await gather(...PEOPLE.map((person) => chat(port, person)));

  const said = PEOPLE.reduce((sum, person) => sum + person.says.length, 0);
  const heard = PEOPLE.map(({ name }, i) => `${name} ${received[i].length}`);
  console.log(
    `\nSummary: ${PEOPLE.length} clients joined and left, ${said} messages ` +
      `sent; lines received: ${heard.join(", ")}`,
  );
}

await run(main);
