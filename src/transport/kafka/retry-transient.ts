/**
 * Waiting out a broker answer that is known to pass (a transaction still open,
 * a topic not yet in the metadata cache): retried with growing waits, 50 ms up
 * to 1 s, for a bounded time; any other error fails at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export async function retryTransient<T>(fn: () => Promise<T>, transient: (err: unknown) => boolean, limitMs: number): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (let wait = 50; ; wait = Math.min(wait * 2, 1_000)) {
    try {
      return await fn();
    } catch (err) {
      if (!transient(err) || Date.now() + wait > deadline) throw err;
      await sleep(wait);
    }
  }
}
