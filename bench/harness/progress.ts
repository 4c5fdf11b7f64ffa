/**
 * Sustained throughput of a run, read off a progress counter (records
 * acknowledged at the sink): the rate between 10% and 90% of the total. That
 * leaves out what is not throughput: connecting, joining the group, records a
 * consumer fetched before the clock could start, and the final commit and
 * leave. The same sampler watches sluice and its baseline.
 */

export interface Throughput {
  recordsPerSecond: number;
  /** From the start of watching to the total reached: setup and tail included. */
  wallSeconds: number;
  /**
   * This process's CPU time per record over the same span: the work each
   * contender did, which a shared machine changes far less than the rate.
   */
  cpuMicrosPerRecord: number;
}

const SAMPLE_MS = 5;

export class ProgressWatch {
  readonly #count: () => number;
  readonly #total: number;
  readonly #started = performance.now();
  readonly #cpu = process.cpuUsage();
  #cpuAtEnd: NodeJS.CpuUsage | undefined;
  #low: { at: number; count: number } | undefined;
  #high: { at: number; count: number } | undefined;
  #end: number | undefined;
  readonly #timer: NodeJS.Timeout;

  constructor(count: () => number, total: number) {
    this.#count = count;
    this.#total = total;
    this.#timer = setInterval(() => this.#sample(), SAMPLE_MS);
  }

  #sample(): void {
    const count = this.#count();
    const at = performance.now();
    if (this.#low === undefined && count >= this.#total * 0.1) this.#low = { at, count };
    if (this.#high === undefined && count >= this.#total * 0.9) this.#high = { at, count };
    if (this.#end === undefined && count >= this.#total) {
      this.#end = at;
      this.#cpuAtEnd = process.cpuUsage(this.#cpu);
    }
  }

  /** Call once the run has finished (the counter is at its total). */
  finish(): Throughput {
    this.#sample();
    clearInterval(this.#timer);
    const low = this.#low;
    const high = this.#high;
    if (low === undefined || high === undefined || this.#end === undefined) {
      throw new Error(`the run ended at ${this.#count()} of ${this.#total} records`);
    }
    // A run too short to be sampled between 10% and 90% has no steady state to report.
    if (high.at - low.at < SAMPLE_MS * 4) throw new Error('the run was too short to measure: give it more records');
    const cpu = this.#cpuAtEnd!;
    return {
      recordsPerSecond: (high.count - low.count) / ((high.at - low.at) / 1_000),
      wallSeconds: (this.#end - this.#started) / 1_000,
      cpuMicrosPerRecord: (cpu.user + cpu.system) / this.#total,
    };
  }

  /** Stops sampling without a result (the run failed). */
  cancel(): void {
    clearInterval(this.#timer);
  }
}

/** Resolves once `done()` is true, checking every few milliseconds; rejects after `timeoutMs` or with what `done()` throws. */
export function waitUntil(done: () => boolean, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = performance.now() + timeoutMs;
    const timer = setInterval(() => {
      let finished: boolean;
      try {
        finished = done();
      } catch (err) {
        clearInterval(timer);
        reject(err);
        return;
      }
      if (finished) {
        clearInterval(timer);
        resolve();
      } else if (performance.now() > deadline) {
        clearInterval(timer);
        reject(new Error(`not done within ${timeoutMs} ms`));
      }
    }, SAMPLE_MS);
  });
}
