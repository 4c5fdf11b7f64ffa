/**
 * Retries with exponential backoff and full jitter (AWS architecture blog's
 * "full jitter"), for transient failures only: an error is retried when it is a
 * SluiceError marked `retriable` (broker unavailable, timeout). Anything else
 * fails at once so a poison record reaches the dead-letter topic without delay.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isSluiceError } from '../core/index.ts';

export interface RetryPolicy {
  /** Attempts after the first; 0 disables retrying. */
  retries: number;
  initialDelayMs: number;
  maxDelayMs: number;
  factor: number;
}

export const defaultRetryPolicy: RetryPolicy = { retries: 5, initialDelayMs: 100, maxDelayMs: 10_000, factor: 2 };

/** The ceiling of the n-th retry's delay (n from 0); the actual delay is uniform in [0, ceiling]. */
export function backoffCeiling(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** attempt);
}

export function isRetriable(err: unknown): boolean {
  return isSluiceError(err) && err.retriable;
}

export interface RetryOptions {
  policy?: RetryPolicy;
  signal?: AbortSignal;
  /** Called before each wait, for logs and metrics. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  random?: () => number;
}

export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const policy = options.policy ?? defaultRetryPolicy;
  const random = options.random ?? Math.random;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= policy.retries || !isRetriable(err) || options.signal?.aborted) throw err;
      const delay = Math.round(random() * backoffCeiling(policy, attempt));
      options.onRetry?.(err, attempt + 1, delay);
      await sleep(delay, undefined, options.signal ? { signal: options.signal } : undefined);
    }
  }
}
