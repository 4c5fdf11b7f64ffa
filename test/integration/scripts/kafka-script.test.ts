/**
 * scripts/kafka.sh itself: a second start reuses the running broker, and stop
 * ends exactly that pid and removes its temp dir. Runs a broker of its own in a
 * separate state folder so it never touches the run's shared broker.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { alive, readStateFile } from '../harness/service-state.ts';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const script = join(repo, 'scripts/kafka.sh');
const home = mkdtempSync(join(tmpdir(), 'sluice-kafka-home-'));

// Share the downloaded jars (the run's broker already fetched them) so this test needs no network.
const cache = join(repo, '.cache/kafka');
for (const entry of existsSync(cache) ? readdirSync(cache) : []) {
  if (entry.startsWith('lib-')) symlinkSync(join(cache, entry), join(home, entry));
}

const env = { ...process.env, SLUICE_KAFKA_HOME: home, SLUICE_KAFKA_PORT: '0' };
const kafkaSh = (cmd: string) => run('bash', [script, cmd], { env, timeout: 300_000 });

const state = () => readStateFile(join(home, 'broker.env'));

afterAll(async () => {
  await kafkaSh('stop').catch(() => undefined);
  rmSync(home, { recursive: true, force: true });
});

describe('scripts/kafka.sh', () => {
  it('reuses a running broker on a second start and stop ends exactly its pid', async () => {
    const first = await kafkaSh('start');
    const address = first.stdout.trim();
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(first.stderr).toMatch(/ready at 127\.0\.0\.1:\d+ \(pid \d+\) in [\d.]+s/);
    const { PID, DIR } = state();
    const pid = Number(PID);
    expect(alive(pid)).toBe(true);
    expect(existsSync(DIR!)).toBe(true);

    const second = await kafkaSh('start');
    expect(second.stdout.trim()).toBe(address);
    expect(second.stderr).toContain(`reusing broker pid ${pid}`);
    expect(Number(state().PID)).toBe(pid);

    await kafkaSh('stop');
    expect(alive(pid)).toBe(false);
    expect(existsSync(DIR!)).toBe(false);
    expect(existsSync(join(home, 'broker.env'))).toBe(false);
    await expect(kafkaSh('status')).rejects.toThrow();
  });
});
