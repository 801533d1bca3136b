// Reaching the job queue's Redis before BullMQ takes over (`sweep run --queue`, `worker`): one line
// per failed attempt, a back-off between attempts, a time after which the command gives up
// (--connect-timeout), and a stop (Ctrl-C, SIGTERM) that ends the waiting at once. Left to BullMQ,
// an unreachable Redis printed a stack per retry, forever, and held the process past every signal.
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

/** The waits between attempts, in seconds: doubling from half a second, at most 10 s. */
export function backoffSeconds(attempt: number): number {
  return Math.min(10, 0.5 * 2 ** (attempt - 1));
}

/** Redis did not answer within the time given, or refused us for good (a wrong password). */
export class QueueConnectionError extends Error {}

/** The stop that ended the waiting (the caller reports the run as interrupted). */
export class ConnectStopped extends Error {
  constructor() {
    super('stopped while waiting for Redis');
  }
}

export interface ConnectOptions {
  /** give up after this many seconds */
  timeoutS: number;
  /** a line per failed attempt (stderr) */
  log: (line: string) => void;
  /** aborted by a stop: the waiting ends with ConnectStopped */
  signal?: AbortSignal;
}

/**
 * Resolves once Redis at `url` answers a PING; throws QueueConnectionError after `timeoutS`
 * seconds of failed attempts (or at once for a reply that will not change, such as NOAUTH), and
 * ConnectStopped when `signal` aborts.
 */
export async function waitForRedis(url: string, o: ConnectOptions): Promise<void> {
  const started = Date.now();
  const deadline = started + o.timeoutS * 1000;
  for (let attempt = 1; ; attempt++) {
    if (o.signal?.aborted) throw new ConnectStopped();
    const why = await ping(url, Math.max(1000, Math.min(10_000, deadline - Date.now())));
    if (why === null) return;
    if (why.final) throw new QueueConnectionError(`${url}: Redis refused the connection: ${why.reason}`);
    const wait = backoffSeconds(attempt);
    const left = (deadline - Date.now()) / 1000;
    if (left <= 0) {
      throw new QueueConnectionError(
        `${url}: no Redis answered within ${o.timeoutS} s (${why.reason}); is redis-server running there and reachable? (--connect-timeout S waits longer)`,
      );
    }
    const next = Math.min(wait, left);
    o.log(`queue: ${url} does not answer (${why.reason}), attempt ${attempt}; next in ${formatSeconds(next)}, giving up ${formatSeconds(left)} from now (--connect-timeout)`);
    try {
      await sleep(next * 1000, undefined, { signal: o.signal });
    } catch {
      throw new ConnectStopped();
    }
  }
}

const formatSeconds = (s: number) => `${s < 10 ? s.toFixed(1).replace(/\.0$/, '') : Math.round(s)} s`;

/** One attempt: null when Redis answers PING; else why not, and whether trying again can help. */
async function ping(url: string, timeoutMs: number): Promise<{ reason: string; final: boolean } | null> {
  // disconnectTimeout: ioredis waits that long for a socket that already closed, keeping the process alive
  const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, disconnectTimeout: 50, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  // the socket's own error (ECONNREFUSED, ENOTFOUND, ETIMEDOUT) says more than connect()'s "Connection is closed"
  let socketError: Error | null = null;
  client.on('error', (err: Error) => (socketError ??= err));
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (err) {
    const e = ((err as Error).name === 'ReplyError' ? err : (socketError ?? err)) as Error & { code?: string };
    // a reply from Redis itself (NOAUTH, WRONGPASS, …) will not change by waiting
    const final = e.name === 'ReplyError';
    return { reason: e.code && !e.message.includes(e.code) ? `${e.code}: ${e.message}` : e.message.split('\n')[0], final };
  } finally {
    client.disconnect();
  }
}
