/**
 * Stage instances as the faults see them: each one a `sluice run FILE --node N`
 * process of the project's own binary, to be SIGKILLed, SIGTERMed, SIGSTOPped
 * and replaced. Every process started here is ended by `killAll` (afterEach),
 * by its pid, so a failed scenario leaves nothing running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../../bin/sluice.js', import.meta.url));
const started = new Set<Instance>();

export interface InstanceOptions {
  file: string;
  brokers: string[];
  namespace: string;
  node: string;
  sessionTimeoutMs?: number;
  commitIntervalMs?: number;
  /** Where its state stores keep local copies; the run's default (under the working directory) otherwise. */
  stateDir?: string;
  env?: NodeJS.ProcessEnv;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class Instance {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  readonly node: string;
  /** stderr, kept for diagnosis and for the checks on warnings. */
  log = '';
  #exit: Exit | undefined;
  #statusUrl: Promise<string>;

  constructor(options: InstanceOptions) {
    this.node = options.node;
    const args = [
      bin,
      'run',
      options.file,
      '--brokers',
      options.brokers.join(','),
      '--namespace',
      options.namespace,
      '--node',
      options.node,
      '--session-timeout',
      String(options.sessionTimeoutMs ?? 6_000),
      '--commit-interval',
      String(options.commitIntervalMs ?? 1_000),
      '--port',
      '0',
      '--poll-interval',
      '5000',
      ...(options.stateDir !== undefined ? ['--state-dir', options.stateDir] : []),
    ];
    this.child = spawn(process.execPath, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, SLUICE_LOG_LEVEL: 'info', ...options.env },
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.log += chunk.toString();
      if (this.log.length > 200_000) this.log = this.log.slice(-100_000);
    });
    this.#statusUrl = new Promise((resolve, reject) => {
      const look = () => {
        const m = /status on (http:\/\/\S+)\//.exec(this.log);
        if (m !== null) {
          this.child.stderr!.off('data', look);
          resolve(m[1]!);
        }
      };
      this.child.stderr!.on('data', look);
      this.child.once('exit', () => reject(new Error(`${this.node} exited before serving status`)));
    });
    this.#statusUrl.catch(() => undefined);
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        started.delete(this);
        resolve(this.#exit);
      }),
    );
    started.add(this);
  }

  static start(options: InstanceOptions): Instance {
    return new Instance(options);
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  get pid(): number {
    return this.child.pid!;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) process.kill(this.pid, signal);
  }

  /**
   * SIGTERM once the instance serves its status (its handlers are in place: before them, Node's default
   * ends a process still loading by the signal), then the time until it has exited (a graceful stop:
   * drain, commit, leave).
   */
  async stop(): Promise<{ ms: number; exit: Exit }> {
    await this.#statusUrl.catch(() => undefined);
    const t0 = performance.now();
    this.signal('SIGTERM');
    const exit = await this.exited;
    return { ms: performance.now() - t0, exit };
  }

  /** The coordinator's own view: restarts and crashes of this process' stage instances. */
  async local(): Promise<{ restarts: number; crashes: number; state: string } | undefined> {
    const url = await this.#statusUrl;
    const res = await fetch(`${url}/status`);
    const doc = (await res.json()) as { stages: Array<{ stage: string; local?: { restarts: number; crashes: number; state: string } }> };
    return doc.stages.find((s) => s.stage === this.node)?.local;
  }
}

/** Ends every instance still running (SIGCONT first, in case one was stopped). */
export async function killAll(): Promise<void> {
  const left = [...started];
  for (const i of left) {
    i.signal('SIGCONT');
    i.signal('SIGKILL');
  }
  await Promise.all(left.map((i) => i.exited));
}

/** Lines that must never appear in a stage's stderr, whatever the fault. */
export const ALARMS = /UnhandledPromiseRejection|unhandled rejection|MaxListenersExceededWarning|FATAL ERROR|heap out of memory/i;

/** These instances' stderr into test-results/<name>log, for a failed scenario's post-mortem; returns the path. */
export function saveLogs(name: string, instances: readonly Instance[]): string {
  const dir = fileURLToPath(new URL('../../../test-results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const path = `${dir}${name}log`;
  writeFileSync(path, instances.map((i) => `==== ${i.node} pid ${i.pid}\n${i.log}`).join('\n'));
  return path;
}
