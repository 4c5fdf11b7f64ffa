/**
 * `sluice redrive` without a broker: its argument errors (exit 2), and the
 * dead-letter file of an embedded `sluice run` read back with `--dry-run`,
 * the one thing it does without a cluster to write to.
 */
import { randomUUID } from 'node:crypto';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/core/index.ts';
import { runCli, silenceLogs } from './cli-harness.ts';

/** A private copy of the fixture: `sluice run` writes its out/ beside it. */
function topology(): string {
  const dir = fileURLToPath(new URL(`../../../.cache/test-topologies/redrive-${randomUUID().slice(0, 8)}`, import.meta.url));
  cpSync(fileURLToPath(new URL('../../fixtures/redrive/embedded', import.meta.url)), dir, { recursive: true });
  return join(dir, 'topology.yaml');
}

silenceLogs();

describe('sluice redrive without a broker', () => {
  it('exits 2 naming the known nodes for an unknown one', async () => {
    const { code, stderr } = await runCli('redrive', topology(), '--node', 'chekc');
    expect(code).toBe(2);
    expect(stderr).toContain('--node chekc');
    expect(stderr).toContain('nodes: feed, check');
  });

  it('exits 2 when it has no broker to read, pointing to the file an embedded run wrote', async () => {
    const { code, stderr } = await runCli('redrive', topology(), '--node', 'check');
    expect(code).toBe(2);
    expect(stderr).toContain('give --brokers');
    expect(stderr).toContain('--from out/numbers.dlq.ndjson');
    expect(stderr).toContain(ErrorCodes.CLI_USAGE);
  });

  it.each([
    [['--where', 'SLUICE_ERR_PROCESSOR'], '--where takes code='],
    [['--since', 'yesterday'], '--since takes an ISO-8601 time'],
    [['--from', 'x.ndjson'], 'writes to a Kafka cluster'],
  ])('exits 2 for %j', async (args, message) => {
    const { code, stderr } = await runCli('redrive', topology(), '--node', 'check', ...args);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it('reads back the dead letters an embedded run wrote and, on a dry run, tells what it would send', async () => {
    const file = topology();
    expect((await runCli('run', file)).code).toBe(0);
    const out = join(file, '..', 'out');
    const numbers = await runCli('redrive', file, '--node', 'check', '--from', join(out, 'numbers.dlq.ndjson'), '--dry-run');
    expect(numbers.code, numbers.stderr).toBe(0);
    expect(JSON.parse(numbers.stdout)).toMatchObject({ dryRun: true, byCode: { [ErrorCodes.PROCESSOR]: { redriven: 2, skipped: 0, filtered: 0, failed: 0 } } });
    expect(numbers.stderr).toMatch(/numbers\.dlq\[0\]@\d+: would redrive → numbers/);

    const filtered = await runCli('redrive', file, '--node', 'check', '--from', join(out, 'numbers.dlq.ndjson'), '--dry-run', '--where', `code=${ErrorCodes.RECORD_INVALID}`);
    expect(JSON.parse(filtered.stdout)).toMatchObject({ total: { redriven: 0, filtered: 2 } });

    // The lines hold the failure time: the run just now is within the last hour, and before a time to come.
    const recent = await runCli('redrive', file, '--node', 'check', '--from', join(out, 'numbers.dlq.ndjson'), '--dry-run', '--since', '1h');
    expect(JSON.parse(recent.stdout), recent.stderr).toMatchObject({ total: { redriven: 2, filtered: 0 } });
    const later = await runCli('redrive', file, '--node', 'check', '--from', join(out, 'numbers.dlq.ndjson'), '--dry-run', '--since', new Date(Date.now() + 3_600_000).toISOString());
    expect(JSON.parse(later.stdout)).toMatchObject({ total: { redriven: 0, filtered: 2 } });

    // The line that was not JSON failed in the file source: it has no topic to go back to.
    const feed = await runCli('redrive', file, '--node', 'feed', '--from', join(out, 'rdfile.feed.dlq.ndjson'), '--dry-run');
    expect(JSON.parse(feed.stdout)).toMatchObject({ byCode: { [ErrorCodes.RECORD_INVALID]: { redriven: 0, skipped: 1 } } });
    expect(feed.stderr).toMatch(/^sluice: rdfile\.feed\.dlq\[0\]@0: would skip: no original topic \(it was read from .*in\.ndjson:3\): give --to TOPIC$/m);
    expect(feed.stderr.split('\n')).toHaveLength(2);
  });
});
