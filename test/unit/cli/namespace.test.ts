/**
 * `--namespace demo1` puts `demo1.` in front of every topic and group, as a
 * user writing it expects; `demo1.` means the same (never `demo1..`); names
 * that cannot start a topic name are refused before anything runs.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/core/index.ts';
import { namespacePrefix } from '../../../src/cli/namespace.ts';
import { writeTopology } from '../../integration/runtime/examples.ts';
import { runCli, silenceLogs } from './cli-harness.ts';

const file = () =>
  writeTopology({
    'in.ndjson': '{"n":1}\n{"n":2}\n',
    'topology.yaml': `
name: ns
nodes:
  feed: { source: { file: ./in.ndjson }, to: items }
  print: { from: items, sink: { file: ./out/items.ndjson } }
`,
  });

silenceLogs();

describe('--namespace', () => {
  it('adds the dot a bare name needs, and keeps one that is given', () => {
    expect(namespacePrefix('demo1')).toBe('demo1.');
    expect(namespacePrefix('demo1.')).toBe('demo1.');
    expect(namespacePrefix('team-a.staging')).toBe('team-a.staging.');
  });

  it('refuses what cannot start a topic name', () => {
    for (const bad of ['', '.', '..', 'a/b', 'a b', 'ü']) {
      expect(() => namespacePrefix(bad), bad).toThrowError(expect.objectContaining({ code: ErrorCodes.CLI_USAGE }));
    }
  });

  it('sluice run --namespace demo1 and --namespace demo1. both run on demo1.<topic>', async () => {
    for (const given of ['demo1', 'demo1.']) {
      const { code, stderr } = await runCli('run', file(), '--namespace', given);
      expect(code, stderr).toBe(0);
      expect(stderr).toContain('sluice: topology demo1.ns on the embedded transport');
      expect(stderr).toMatch(/feed .* → topic demo1\.items\n/);
      expect(stderr).not.toContain('demo1..');
    }
  });

  it('sluice run --namespace a/b fails with a usage error, exit 2', async () => {
    const { code, stderr } = await runCli('run', file(), '--namespace', 'a/b');
    expect(code).toBe(2);
    expect(stderr).toContain("--namespace takes letters, digits, '.', '_' and '-'");
    expect(stderr).toContain(ErrorCodes.CLI_USAGE);
  });
});
