/**
 * `sluice test --faults --brokers`: crashes on Kafka. A crashed stage leaves its group at once
 * (Consumer.abandon, whose contract case times the handover), and what it had not committed is done
 * again: exactly-once still counts right, at-least-once does not.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli, silenceLogs } from '../../unit/cli/cli-harness.ts';
import { brokers } from '../harness/kafka.ts';

const fixture = (p: string) => fileURLToPath(new URL(`../../fixtures/sluice-test/faults/${p}`, import.meta.url));

silenceLogs();

describe('sluice test --faults --brokers', () => {
  it('passes an exactly-once windowed count through five crashes', { timeout: 60_000 }, async () => {
    const { code, stdout } = await runCli('test', '--faults', fixture('exactly-once.test.yaml'), '--brokers', brokers().join(','));
    expect(stdout).toMatch(/✓ counts views per page per minute \(\d+ ms, 5 crashes\)/);
    expect(code).toBe(0);
  });

  it('fails an at-least-once one, which counts the views again after a crash', { timeout: 60_000 }, async () => {
    const { code, stdout } = await runCli('test', '--faults', '--crash-every', '2', fixture('at-least-once.test.yaml'), '--brokers', brokers().join(','));
    expect(stdout).toMatch(/✗ counts views per page per minute \(\d+ ms, 3 crashes\)/);
    expect(stdout).toMatch(/page.views with a crash every 2 records: unexpected \{"key":"\/a".*"value":(?!3\})\d+\}\}/);
    expect(code).toBe(1);
  });
});
