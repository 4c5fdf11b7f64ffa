/**
 * One instance slot of a stage, across its lives: it spawns the stage in a
 * thread or process, follows its reports, and when it ends without being
 * asked to (a crash, a killed thread, a non-zero exit) starts it again after
 * a backoff, until the crash history says to give up and mark it failed.
 * Counts add up over restarts, so metrics stay monotonic.
 */
import { ErrorCodes, SluiceError, type Logger } from '../core/index.ts';
import type { StageReport } from '../runtime/index.ts';
import { spawnInstance, type InstanceHost, type Isolation } from './host.ts';
import type { InstanceMessage, InstanceParams } from './protocol.ts';
import type { InstanceAnswer, StoreRestore } from './query.ts';
import { CrashHistory, TRANSIENT_CRASH_CODES, type RestartPolicy } from './restart.ts';

export type InstanceState = 'idle' | 'starting' | 'running' | 'restarting' | 'stopping' | 'finished' | 'failed' | 'stopped';

export interface InstanceCounts {
  read: number;
  written: number;
  deadLettered: number;
  retried: number;
}

export interface InstanceOptions {
  params: InstanceParams;
  isolation: Isolation;
  policy: RestartPolicy;
  logger: Logger;
  random?: () => number;
}

/** How long a query waits for the instance's answer: a busy event loop still answers within it. */
const QUERY_TIMEOUT_MS = 5_000;

interface PendingQuery {
  resolve(answer: InstanceAnswer): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

const ZERO: InstanceCounts = { read: 0, written: 0, deadLettered: 0, retried: 0 };

function add(a: InstanceCounts, b: InstanceCounts): InstanceCounts {
  return { read: a.read + b.read, written: a.written + b.written, deadLettered: a.deadLettered + b.deadLettered, retried: a.retried + b.retried };
}

export class StageInstance {
  readonly #options: InstanceOptions;
  readonly #logger: Logger;
  readonly #history: CrashHistory;
  #state: InstanceState = 'idle';
  #host: InstanceHost | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** Set by a graceful stop: the state the run ends in. */
  #stopAs: 'stopped' | 'idle' | undefined;
  /** Counts of lives that ended, and of the current one. */
  #past: InstanceCounts = ZERO;
  #current: InstanceCounts = ZERO;
  #lifeError: { message: string; code?: string } | undefined;
  /** The latest report of any life: names the stage's output for the run summary. */
  lastReport: StageReport | undefined;
  #endRun: (() => void) | undefined;
  /** What the current life last said it holds: partitions (tasks) and its stores' restores. */
  #partitions: number[] = [];
  #restores: StoreRestore[] = [];
  readonly #queries = new Map<number, PendingQuery>();
  #nextQuery = 0;
  #lives = 0;
  restarts = 0;
  crashes = 0;
  lastError: string | undefined;

  constructor(options: InstanceOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ stage: options.params.stage, instance: options.params.instance });
    this.#history = new CrashHistory(options.policy, options.random);
  }

  get state(): InstanceState {
    return this.#state;
  }

  get counts(): InstanceCounts {
    return add(this.#past, this.#current);
  }

  /** True while a run is under way (including a pending restart). */
  get active(): boolean {
    return this.#state === 'starting' || this.#state === 'running' || this.#state === 'restarting' || this.#state === 'stopping';
  }

  /**
   * Starts a run and resolves when it is over: finished (its input ended),
   * idle (`finish()`: caught up), stopped, or failed for good.
   */
  run(): Promise<void> {
    if (this.active) throw new Error(`instance ${this.#options.params.stage}#${this.#options.params.instance} is already running`);
    this.#stopAs = undefined;
    if (this.#state === 'failed') this.#history.reset();
    const ended = new Promise<void>((resolve) => (this.#endRun = resolve));
    this.#spawn();
    return ended;
  }

  /** Graceful: the stage drains, commits and leaves its group; no restart follows. */
  stop(): void {
    this.#stopGracefully('stopped');
  }

  /** As `stop()`, for a run that has done its work (caught up): it ends idle, ready for the next trigger. */
  finish(): void {
    this.#stopGracefully('idle');
  }

  #stopGracefully(as: 'stopped' | 'idle'): void {
    this.#stopAs = as;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#end(as);
      return;
    }
    if (this.#host !== undefined && this.active) {
      this.#state = 'stopping';
      this.#host.send({ type: 'stop' });
    }
  }

  /** The partitions the current life held at its last report. */
  get partitions(): readonly number[] {
    return this.#partitions;
  }

  get restores(): readonly StoreRestore[] {
    return this.#restores;
  }

  /** Asks the running instance what `store` holds for `key`; rejects when it is not running, ends or does not answer in time. */
  query(store: string, key: string): Promise<InstanceAnswer> {
    const host = this.#host;
    if (host === undefined || this.#state !== 'running') return Promise.reject(new SluiceError(ErrorCodes.STORE_UNAVAILABLE, 'the instance is not running'));
    const id = this.#nextQuery++;
    return new Promise<InstanceAnswer>((resolve, reject) => {
      const timer = setTimeout(() => this.#settle(id, new SluiceError(ErrorCodes.TIMEOUT, `no answer to a query in ${QUERY_TIMEOUT_MS} ms`)), QUERY_TIMEOUT_MS);
      this.#queries.set(id, { resolve, reject, timer });
      host.send({ type: 'query', id, store, key });
    });
  }

  #settle(id: number, outcome: InstanceAnswer | Error): void {
    const pending = this.#queries.get(id);
    if (pending === undefined) return;
    this.#queries.delete(id);
    clearTimeout(pending.timer);
    if (outcome instanceof Error) pending.reject(outcome);
    else pending.resolve(outcome);
  }

  /** Ends the thread or process at once, as a crash of the machine would (for tests and fault drills). */
  kill(): void {
    this.#host?.kill();
  }

  #spawn(): void {
    this.#state = 'starting';
    this.#current = ZERO;
    this.#lifeError = undefined;
    const params = lifeParams(this.#options.params, this.#lives++);
    // Messages of an earlier life (a late stdin error) must not count against this one.
    const host: InstanceHost = spawnInstance(params, this.#options.isolation, (m) => {
      if (host === this.#host) this.#onMessage(m);
    });
    this.#host = host;
    void host.exited.then((code) => this.#onExit(host, code));
  }

  #onMessage(message: InstanceMessage): void {
    switch (message.type) {
      case 'started':
        if (this.#state === 'starting') this.#state = 'running';
        break;
      case 'report':
        this.#partitions = message.partitions;
        this.#restores = message.restores;
        this.lastReport = message.report;
        this.#current = countsOf(message.report);
        break;
      case 'finished':
        this.lastReport = message.report;
        this.#current = countsOf(message.report);
        break;
      case 'answer':
        this.#settle(message.id, 'answer' in message ? message.answer : new SluiceError(ErrorCodes.STORE_UNAVAILABLE, message.error.message));
        break;
      case 'crashed':
        if (message.report !== undefined) {
          this.lastReport = message.report;
          this.#current = countsOf(message.report);
        }
        this.#lifeError = { message: message.message, ...(message.code !== undefined ? { code: message.code } : {}) };
        break;
    }
  }

  #onExit(host: InstanceHost, code: number): void {
    if (host !== this.#host) return;
    this.#host = undefined;
    this.#partitions = [];
    this.#restores = [];
    for (const id of [...this.#queries.keys()]) this.#settle(id, new SluiceError(ErrorCodes.STORE_UNAVAILABLE, 'the instance ended before it answered'));
    this.#past = add(this.#past, this.#current);
    this.#current = ZERO;
    if (this.#stopAs !== undefined) return this.#end(this.#stopAs);
    if (code === 0 && this.#lifeError === undefined) return this.#end('finished');

    this.crashes++;
    const cause = this.#lifeError ?? { message: `exited with code ${code} without a report (killed)` };
    this.lastError = cause.code !== undefined ? `${cause.message} [${cause.code}]` : cause.message;
    const decision = this.#history.record(Date.now(), cause.code !== undefined && TRANSIENT_CRASH_CODES.has(cause.code));
    if (decision.action === 'fail') {
      this.#logger.error({ crashes: decision.crashes, cause }, 'stage instance crashed too often: marked failed, not restarted');
      return this.#end('failed');
    }
    this.#logger.warn({ cause, attempt: decision.attempt, delayMs: decision.delayMs }, 'stage instance crashed: restarting after backoff');
    this.#state = 'restarting';
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.restarts++;
      this.#spawn();
    }, decision.delayMs);
  }

  #end(state: InstanceState): void {
    this.#state = state;
    const end = this.#endRun;
    this.#endRun = undefined;
    end?.();
  }
}

/** What life `life` (from 0) of an instance starts with: `--from-start` is for the first; a later one goes on from what the earlier ones committed. */
export function lifeParams(params: InstanceParams, life: number): InstanceParams {
  if (life === 0) return params;
  const { fromStart: _firstLifeOnly, ...later } = params;
  return later;
}

function countsOf(report: StageReport): InstanceCounts {
  return { read: report.read, written: report.written, deadLettered: report.deadLettered, retried: report.retried };
}
