/**
 * `sluice test --brokers`: the same case files against the real broker, each case under a fresh
 * namespace whose topics are deleted afterwards; a failing file still fails there.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli, silenceLogs } from '../../unit/cli/cli-harness.ts';
import { brokers, withAdmin } from '../harness/kafka.ts';

const root = (p: string) => fileURLToPath(new URL(`../../../${p}`, import.meta.url));

silenceLogs();

describe('sluice test --brokers', () => {
  it('passes the word count and clickstream cases on Kafka and leaves no topics behind', async () => {
    const before = new Set(await withAdmin((a) => a.listTopics()));
    const { code, stdout } = await runCli('test', root('topologies/word-count'), root('topologies/clickstream'), '--brokers', brokers().join(','));
    expect(stdout).toContain('5 passed, 0 failed');
    expect(code).toBe(0);
    const left = (await withAdmin((a) => a.listTopics())).filter((t) => t.startsWith('sluice-test-') && !before.has(t));
    expect(left).toEqual([]);
  });

  it('fails the deliberately failing file on Kafka too', async () => {
    const { code, stdout } = await runCli('test', root('test/fixtures/sluice-test/failing.test.yaml'), '--brokers', brokers().join(','));
    expect(stdout).toContain('word.counts: 2 records out, 3 expected');
    expect(code).toBe(1);
  });
});
