/**
 * When a crashed stage instance comes back. Exponential backoff with "equal
 * jitter" (half the ceiling fixed, half random), so restarts of instances that
 * crashed together spread out yet still back off; the ceiling is the runtime's
 * `backoffCeiling`. An instance that crashes `maxCrashes` times within
 * `windowMs` is given up on: restarting it again would only hide the cause.
 */
import { backoffCeiling, type RetryPolicy } from '../runtime/index.ts';

export interface RestartPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  factor: number;
  /** Crashes within `windowMs` after which the instance is marked failed. */
  maxCrashes: number;
  windowMs: number;
}

export const defaultRestartPolicy: RestartPolicy = { initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, maxCrashes: 5, windowMs: 5 * 60_000 };

export type RestartDecision = { action: 'restart'; delayMs: number; attempt: number } | { action: 'fail'; crashes: number };

/** One instance's recent crashes; `record` says what to do about the latest. */
export class CrashHistory {
  readonly #policy: RestartPolicy;
  readonly #random: () => number;
  #crashes: number[] = [];

  constructor(policy: RestartPolicy = defaultRestartPolicy, random: () => number = Math.random) {
    this.#policy = policy;
    this.#random = random;
  }

  /** Crashes inside the window ending at `now`. */
  recent(now: number): number {
    return this.#crashes.filter((t) => t > now - this.#policy.windowMs).length;
  }

  record(now: number): RestartDecision {
    this.#crashes = [...this.#crashes.filter((t) => t > now - this.#policy.windowMs), now];
    const crashes = this.#crashes.length;
    if (crashes >= this.#policy.maxCrashes) return { action: 'fail', crashes };
    const retry: RetryPolicy = { retries: this.#policy.maxCrashes, ...this.#policy };
    const ceiling = backoffCeiling(retry, crashes - 1);
    return { action: 'restart', delayMs: Math.round(ceiling / 2 + (this.#random() * ceiling) / 2), attempt: crashes };
  }

  /** A trigger by hand starts afresh. */
  reset(): void {
    this.#crashes = [];
  }
}
