/**
 * What the Redis executor's producers (`RedisExecutor`) and consumers
 * (`serveExecutor`) agree on: the keys, the job message and the reply.
 *
 * For a queue `Q` (besides the keys of `RedisTaskSource`, which moves the
 * jobs: `Q`, `Q:processing:<consumer>`, `Q:retrying:<consumer>`,
 * `Q:delayed`, `Q:dead`, `Q:consumers`, `Q:alive:<consumer>`):
 *
 * - `Q:reply:<producer>`: the stream the results of one producer's jobs
 *   are added to (`XADD`, field `v`); it expires `resultTtl` after the last
 *   result, so a producer that is gone leaves nothing behind for long.
 * - `Q:cancelled`: a sorted set of the ids of jobs cancelled after a
 *   consumer took them (scored by time, trimmed to `resultTtl`), and
 *   `Q:cancel`, the pub/sub channel that tells the consumers at once.
 *
 * A job message is three lines: `<id>\n<header JSON>\n<arguments>`; the
 * id is `<producer>.<n>` and names the reply stream. The header is
 * `[1, module, export, timeoutMs, attempts, backoffMs, resultTtlMs]`. A
 * reply entry is `<id>\n<0 result | 1 error>\n<value>`. Values are
 * encoded by `_codec.ts`.
 *
 * @module
 */
import { formatBytes } from "./_codec.ts";

/** The version of the job header. */
export const JOB_VERSION = 1;

/** A job as a consumer reads it. */
export interface JobMessage {
  readonly id: string;
  readonly module: string;
  readonly name: string;
  /** 0: no limit. */
  readonly timeoutMs: number;
  readonly attempts: number;
  readonly backoffMs: number;
  readonly resultTtlMs: number;
  /** The encoded arguments. */
  readonly args: string;
}

/** The per-job settings a producer sends with each job. */
export interface JobSettings {
  readonly timeoutMs: number;
  readonly attempts: number;
  readonly backoffMs: number;
  readonly resultTtlMs: number;
}

/** The job message for the queue. */
export function jobBody(
  id: string,
  module: string,
  name: string,
  settings: JobSettings,
  args: string,
): string {
  return `${id}\n${
    JSON.stringify([
      JOB_VERSION,
      module,
      name,
      settings.timeoutMs,
      settings.attempts,
      settings.backoffMs,
      settings.resultTtlMs,
    ])
  }\n${args}`;
}

/** Reads a job message; throws a TypeError if it is not one. */
export function parseJob(body: string): JobMessage {
  const i = body.indexOf("\n");
  const j = i < 0 ? -1 : body.indexOf("\n", i + 1);
  let header: unknown;
  try {
    header = j < 0 ? null : JSON.parse(body.slice(i + 1, j));
  } catch {
    header = null;
  }
  if (
    !Array.isArray(header) || header[0] !== JOB_VERSION ||
    typeof header[1] !== "string" || typeof header[2] !== "string"
  ) {
    throw new TypeError(
      `not a job of this version of RedisExecutor (${JOB_VERSION}): ${
        JSON.stringify(body.slice(0, 80))
      }`,
    );
  }
  return {
    id: body.slice(0, i),
    module: header[1],
    name: header[2],
    timeoutMs: Number(header[3]) || 0,
    attempts: Math.max(1, Number(header[4]) || 1),
    backoffMs: Math.max(0, Number(header[5]) || 0),
    resultTtlMs: Math.max(1000, Number(header[6]) || 3_600_000),
    args: body.slice(j + 1),
  };
}

/** The id of the job a message carries (its first line). */
export function jobIdOf(body: string): string {
  const i = body.indexOf("\n");
  return i < 0 ? body : body.slice(0, i);
}

/** The producer a job id belongs to. */
export function producerOf(id: string): string {
  const i = id.lastIndexOf(".");
  return i < 0 ? id : id.slice(0, i);
}

/** The stream the results of `producer`'s jobs on `queue` go to. */
export function replyStream(queue: string, producer: string): string {
  return `${queue}:reply:${producer}`;
}

/** The sorted set of cancelled job ids. */
export function cancelledSet(queue: string): string {
  return `${queue}:cancelled`;
}

/** The pub/sub channel cancellations are announced on. */
export function cancelChannel(queue: string): string {
  return `${queue}:cancel`;
}

/** A reply entry: `ok` says whether `value` is the result or the error. */
export function replyEntry(id: string, ok: boolean, value: string): string {
  return `${id}\n${ok ? 0 : 1}\n${value}`;
}

/** Reads a reply entry. */
export function parseReply(
  entry: string,
): { id: string; ok: boolean; value: string } {
  const i = entry.indexOf("\n");
  return {
    id: entry.slice(0, i),
    ok: entry.charCodeAt(i + 1) === 48,
    value: entry.slice(i + 3),
  };
}

/** The default limit of an encoded argument list or result. */
export const DEFAULT_MAX_SIZE = 16 * 1024 * 1024;

/** `16 MiB`, for docs and messages. */
export const DEFAULT_MAX_SIZE_TEXT: string = formatBytes(DEFAULT_MAX_SIZE);
