/** The coordinator's commands, where they need no broker: usage errors and what they say. */
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/cli-harness.ts';
import { wordCountFile } from './fixtures.ts';


async function withoutBrokers<T>(fn: () => Promise<T>): Promise<T> {
  const saved = process.env.KAFKA_BROKERS;
  delete process.env.KAFKA_BROKERS;
  try {
    return await fn();
  } finally {
    if (saved !== undefined) process.env.KAFKA_BROKERS = saved;
  }
}

describe('sluice status / topics / trigger / run usage', () => {
  it('status and topics refuse to run without brokers, saying where brokers come from', async () => {
    for (const args of [['status', wordCountFile], ['topics', wordCountFile, '--check']]) {
      const { code, stderr } = await withoutBrokers(() => runCli(...args));
      expect(code).toBe(2);
      expect(stderr).toContain(`sluice ${args[0]} reads a Kafka cluster: give --brokers (or KAFKA_BROKERS, or kafka.brokers in`);
    }
  });

  it('topics takes exactly one action', async () => {
    for (const args of [[], ['--create', '--delete']]) {
      const { code, stderr } = await runCli('topics', wordCountFile, ...args, '--brokers', '127.0.0.1:1');
      expect(code).toBe(2);
      expect(stderr).toContain('give exactly one of --create, --check, --delete [SLUICE_ERR_CLI_USAGE]');
    }
  });

  it('trigger names the nodes when the one asked for does not exist', async () => {
    const { code, stderr } = await runCli('trigger', wordCountFile, 'nope');
    expect(code).toBe(2);
    expect(stderr).toContain('no node `nope` in');
    expect(stderr).toContain('nodes: read, split, count, print');
  });

  it('run checks --instances, --isolation and --port before starting anything', async () => {
    const cases: Array<[string[], string]> = [
      [['--instances', 'split=0'], '--instances takes node=N pairs'],
      [['--instances', 'nope=2'], '--instances names no node of word-count: nope'],
      [['--isolation', 'fiber'], '--isolation is thread or process'],
      [['--port', '70000'], '--port must be a whole number from 0 to 65535'],
      [['--port', '-1'], '--port must be a whole number from 0 to 65535'],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await withoutBrokers(() => runCli('run', wordCountFile, ...args));
      expect(code, args.join(' ')).toBe(2);
      expect(stderr).toContain(message);
    }
  });
});
