/**
 * `sluice redrive` without a broker: its argument errors (exit 2), and the
 * dead-letter file of an embedded `sluice run` read back with `--dry-run`,
 * the one thing it does without a cluster to write to.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/core/index.ts';
import { writeTopology } from '../../integration/runtime/examples.ts';
import { runCli, silenceLogs } from './cli-harness.ts';

function topology(): string {
  return writeTopology({
    'in.ndjson': ['{"n":1}', '{"n":-1}', 'not json', '{"n":-2}'].join('\n') + '\n',
    'processors/check.ts': `import { defineProcessor } from 'sluice';
export default defineProcessor<{ n: number }>((v) => {
  if (v.n < 0) throw new Error(\`n is negative: \${v.n}\`);
  return v;
});`,
    'topology.yaml': `
name: rd
topics:
  numbers: { partitions: 1, codec: json }
nodes:
  feed:
    source: { file: ./in.ndjson }
    to: numbers
  check:
    from: numbers
    process:
      - map: { module: ./processors/check.ts }
    sink: { file: ./out/good.ndjson }
`,
  });
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
    [['--from', 'x.ndjson', '--since', '2h'], 'hold no failure time'],
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

    // The line that was not JSON failed in the file source: it has no topic to go back to.
    const feed = await runCli('redrive', file, '--node', 'feed', '--from', join(out, 'rd.feed.dlq.ndjson'), '--dry-run');
    expect(JSON.parse(feed.stdout)).toMatchObject({ byCode: { [ErrorCodes.RECORD_INVALID]: { redriven: 0, skipped: 1 } } });
    expect(feed.stderr).toMatch(/skipped rd\.feed\.dlq\[0\]@0 \(SLUICE_ERR_RECORD_INVALID\): no original topic \(it was read from .*in\.ndjson:3\): give --to TOPIC/);
  });
});
