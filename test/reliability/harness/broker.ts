/**
 * A broker of the scenario's own, through scripts/kafka.sh with a separate
 * SLUICE_KAFKA_HOME (sharing the jars the run's broker fetched), so killing it
 * never touches the broker other tests use.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const script = join(repo, 'scripts/kafka.sh');

export class OwnBroker {
  readonly home: string;
  brokers: string[] = [];

  constructor() {
    this.home = mkdtempSync(join(tmpdir(), 'sluice-reliability-kafka-'));
    const cache = join(repo, '.cache/kafka');
    for (const entry of existsSync(cache) ? readdirSync(cache) : []) {
      if (entry.startsWith('lib-')) symlinkSync(join(cache, entry), join(this.home, entry));
    }
  }

  async #sh(cmd: string): Promise<string> {
    const { stdout } = await run('bash', [script, cmd], {
      env: { ...process.env, SLUICE_KAFKA_HOME: this.home, SLUICE_KAFKA_PORT: '0' },
      timeout: 300_000,
    });
    return stdout.trim();
  }

  async start(): Promise<string[]> {
    this.brokers = (await this.#sh('start')).split(',');
    return this.brokers;
  }

  /** SIGKILL the JVM: no controlled shutdown. */
  async kill(): Promise<void> {
    await this.#sh('kill');
  }

  /** Same port, same log dir; resolves once it answers metadata, with how long that took. */
  async restart(): Promise<number> {
    const t0 = performance.now();
    const address = await this.#sh('restart');
    if (address !== this.brokers.join(',')) throw new Error(`broker came back at ${address}, not ${this.brokers.join(',')}`);
    return performance.now() - t0;
  }

  async stop(): Promise<void> {
    await this.#sh('stop').catch(() => undefined);
    rmSync(this.home, { recursive: true, force: true });
  }
}
