/**
 * When a crashed stage instance comes back. Exponential backoff with "equal
 * jitter" (half the ceiling fixed, half random), so restarts of instances that
 * crashed together spread out yet still back off; the ceiling is the runtime's
 * `backoffCeiling`. An instance that crashes `maxCrashes` times within
 * `windowMs` is given up on: restarting it again would only hide the cause.
 */
import { ErrorCodes } from '../core/index.ts';
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

/**
 * Crashes that say the cluster was away or moved on, not that the stage is
 * broken: they back off like any other but never count towards giving up, so
 * a broker restart longer than the backoff ladder does not end a pipeline.
 */
export const TRANSIENT_CRASH_CODES: ReadonlySet<string> = new Set([
  ErrorCodes.BROKER_UNAVAILABLE,
  ErrorCodes.TIMEOUT,
  ErrorCodes.TRANSACTION_ABORTED,
  ErrorCodes.PRODUCER_FENCED,
]);

const TRANSIENT_MAX_DELAY_MS = 5_000;

/** One instance's recent crashes; `record` says what to do about the latest. */
export class CrashHistory {
  readonly #policy: RestartPolicy;
  readonly #random: () => number;
  #crashes: Array<{ at: number; transient: boolean }> = [];

  constructor(policy: RestartPolicy = defaultRestartPolicy, random: () => number = Math.random) {
    this.#policy = policy;
    this.#random = random;
  }

  /** Crashes inside the window ending at `now`. */
  recent(now: number): number {
    return this.#crashes.filter((c) => c.at > now - this.#policy.windowMs).length;
  }

  /** `transient` (see TRANSIENT_CRASH_CODES): backs off, never gives up. */
  record(now: number, transient = false): RestartDecision {
    this.#crashes = [...this.#crashes.filter((c) => c.at > now - this.#policy.windowMs), { at: now, transient }];
    const crashes = this.#crashes.length;
    if (!transient && this.#crashes.filter((c) => !c.transient).length >= this.#policy.maxCrashes) return { action: 'fail', crashes };
    const retry: RetryPolicy = { retries: this.#policy.maxCrashes, ...this.#policy };
    // A transient cause waits at most a few seconds: the cluster may be back by then.
    const ceiling = Math.min(backoffCeiling(retry, crashes - 1), transient ? TRANSIENT_MAX_DELAY_MS : Infinity);
    return { action: 'restart', delayMs: Math.round(ceiling / 2 + (this.#random() * ceiling) / 2), attempt: crashes };
  }

  /** A trigger by hand starts afresh. */
  reset(): void {
    this.#crashes = [];
  }
}
