// The Redis executor's own client (src/_resp.ts) against a real
// `redis-server`: replies in order under pipelining, binary-safe lengths
// for UTF-8, replies split across reads, errors, pub/sub, reconnecting
// after Redis restarts, and URLs.
import assert from "node:assert/strict";
import {
  parseRedisUrl,
  RedisConnectionError,
  RedisReplyError,
  RespConnection,
} from "../src/_resp.ts";
import { redisMissing, RedisServer } from "./_redis.ts";

Deno.test(
  "commands sent in one turn go out together and their replies come back in order",
  { ignore: redisMissing },
  async () => {
    await using server = await RedisServer.start();
    await using redis = new RespConnection(server.url);
    const replies = await Promise.all(
      Array.from({ length: 2000 }, (_, i) => redis.command(["ECHO", `m${i}`])),
    );
    assert.deepEqual(replies, Array.from({ length: 2000 }, (_, i) => `m${i}`));
    assert.equal(await redis.command(["RPUSH", "l", "a", "b"]), 2);
    assert.deepEqual(await redis.command(["LRANGE", "l", "0", "-1"]), [
      "a",
      "b",
    ]);
    assert.equal(await redis.command(["GET", "missing"]), null);
    assert.equal(await redis.command(["PING"]), "PONG");
  },
);

Deno.test(
  "text of any size and script crosses intact (lengths in UTF-8 bytes), big replies over many reads",
  { ignore: redisMissing },
  async () => {
    await using server = await RedisServer.start();
    await using redis = new RespConnection(server.url);
    const text = "naïve ☃ 🎉 \r\n$3\r\n " + "x".repeat(3 * 1024 * 1024) + "é";
    await redis.command(["SET", "k", text]);
    assert.equal(
      await redis.command(["STRLEN", "k"]),
      new TextEncoder().encode(text).length,
    );
    assert.equal(await redis.command(["GET", "k"]), text);
    const items = Array.from({ length: 5000 }, (_, i) => `item ${i} ünïcödé`);
    await redis.command(["RPUSH", "big", ...items]);
    assert.deepEqual(await redis.command(["LRANGE", "big", "0", "-1"]), items);
  },
);

Deno.test("an error reply rejects its command only; the connection goes on", {
  ignore: redisMissing,
}, async () => {
  await using server = await RedisServer.start();
  await using redis = new RespConnection(server.url);
  const [bad, good] = await Promise.allSettled([
    redis.command(["NOSUCHCOMMAND"]),
    redis.command(["ECHO", "fine"]),
  ]);
  assert.equal(bad.status, "rejected");
  assert.ok((bad as PromiseRejectedResult).reason instanceof RedisReplyError);
  assert.match(
    String((bad as PromiseRejectedResult).reason),
    /unknown command/,
  );
  assert.deepEqual(good, { status: "fulfilled", value: "fine" });
});

Deno.test(
  "after Redis restarts, commands in flight fail with RedisConnectionError and the next one reconnects",
  { ignore: redisMissing },
  async () => {
    await using server = await RedisServer.start();
    await using redis = new RespConnection(server.url);
    await redis.command(["SET", "a", "1"]);
    // Checked from the start: it may fail before kill() returns.
    const blocked = assert.rejects(
      redis.command(["BLPOP", "never", "10"]),
      RedisConnectionError,
    );
    await server.kill();
    await blocked;
    await assert.rejects(redis.command(["PING"]), RedisConnectionError);
    await server.restart();
    assert.equal(await redis.command(["PING"]), "PONG");
  },
);

Deno.test("a subscribed connection hands each message to its handler", {
  ignore: redisMissing,
}, async () => {
  await using server = await RedisServer.start();
  await using sub = new RespConnection(server.url);
  await using pub = new RespConnection(server.url);
  const got: string[] = [];
  sub.setPushHandler((channel, message) => got.push(`${channel}:${message}`));
  assert.deepEqual(await sub.command(["SUBSCRIBE", "ch"]), [
    "subscribe",
    "ch",
    1,
  ]);
  assert.equal(await pub.command(["PUBLISH", "ch", "one"]), 1);
  await pub.command(["PUBLISH", "ch", "two"]);
  const deadline = performance.now() + 5000;
  while (got.length < 2 && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.deepEqual(got, ["ch:one", "ch:two"]);
});

Deno.test("Redis URLs: host, port, password, database and TLS; anything else is a TypeError", () => {
  assert.deepEqual(parseRedisUrl("redis://127.0.0.1:6380/2", "t"), {
    hostname: "127.0.0.1",
    port: 6380,
    tls: false,
    username: null,
    password: null,
    db: 2,
  });
  const full = parseRedisUrl("rediss://user:p%40ss@[::1]", "t");
  assert.equal(full.hostname, "::1");
  assert.equal(full.port, 6379);
  assert.equal(full.tls, true);
  assert.equal(full.username, "user");
  assert.equal(full.password, "p@ss");
  assert.throws(
    () => parseRedisUrl("http://x", "t"),
    /redis:\/\/ or rediss:\/\//,
  );
  assert.throws(() => parseRedisUrl("nonsense", "t"), /Redis URL/);
  assert.throws(() => parseRedisUrl("redis://x/db", "t"), /database/);
});

Deno.test(
  "a password in the URL is sent with AUTH, a database with SELECT, before anything else",
  { ignore: redisMissing },
  async () => {
    await using server = await RedisServer.start();
    await using admin = new RespConnection(server.url);
    await admin.command(["CONFIG", "SET", "requirepass", "s3cret"]);
    await using redis = new RespConnection(
      `redis://:s3cret@127.0.0.1:${server.port}/3`,
    );
    await redis.command(["SET", "where", "db3"]);
    await using check = new RespConnection(
      `redis://:s3cret@127.0.0.1:${server.port}/3`,
    );
    assert.equal(await check.command(["GET", "where"]), "db3");
    await using wrong = new RespConnection(
      `redis://:nope@127.0.0.1:${server.port}`,
    );
    await assert.rejects(wrong.command(["PING"]), /NOAUTH|WRONGPASS/);
  },
);
