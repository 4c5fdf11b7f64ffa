/**
 * `sluice test` as a user runs it: every example topology's test file passes (this is how
 * `npm test` runs `sluice test topologies/`), a deliberately failing file fails with a diff,
 * and a bad test file is placed at file:line:col with exit 2.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli, silenceLogs } from './cli-harness.ts';

const root = (p: string) => fileURLToPath(new URL(`../../../${p}`, import.meta.url));
const fixture = (name: string) => root(`test/fixtures/sluice-test/${name}`);

silenceLogs();

describe('sluice test', () => {
  it('passes every example topology test file (sluice test topologies/)', async () => {
    const { code, stdout } = await runCli('test', root('topologies'));
    expect(stdout).not.toContain('✗');
    for (const name of ['clickstream', 'orders', 'seed-dataflow', 'seed-workflow', 'user-events', 'word-count']) expect(stdout).toContain(`${name}.test.yaml`);
    expect(stdout).toMatch(/\n\d+ passed, 0 failed\n$/);
    expect(code).toBe(0);
  });

  it('settles a join that holds a record while a later one of its partition is dead-lettered', async () => {
    const { code, stdout } = await runCli('test', fixture('join-held.test.yaml'));
    expect(stdout).toContain('1 passed, 0 failed');
    expect(code).toBe(0);
  });

  it('fails a wrong count and a missing record, shows expected and actual, and exits 1', async () => {
    const { code, stdout } = await runCli('test', fixture('failing.test.yaml'));
    expect(stdout).toMatch(/✓ passes \(\d+ ms\)/);
    expect(stdout).toMatch(/✗ fails on a wrong count and a missing word/);
    expect(stdout).toContain('word.counts: 2 records out, 3 expected; 2 not matched, 1 unexpected');
    expect(stdout).toContain('- {"key":"a","value":{"value":3}}');
    expect(stdout).toContain('- {"key":"c","value":{"value":1}}');
    expect(stdout).toMatch(/\+ \{"key":"a","value":\{"key":"a","value":2\}/);
    expect(stdout).toContain('1 passed, 1 failed');
    expect(code).toBe(1);
  });

  it('places a bad test file at file:line:col and exits 2 without running it', async () => {
    const bad = await runCli('test', fixture('bad.test.yaml'));
    expect(bad.stdout).toContain(`${fixture('bad.test.yaml')}:6:25: error SLUICE_ERR_TEST_INVALID: unknown key \`when\``);
    expect(bad.code).toBe(2);
    const typo = await runCli('test', fixture('unknown-target.test.yaml'));
    expect(typo.stdout).toContain(`${fixture('unknown-target.test.yaml')}:5:7: error SLUICE_ERR_TEST_INVALID: \`text.typo\` is neither a topic of word-count`);
    expect(typo.code).toBe(2);
  });

  it('exits 2 when a directory holds no test file', async () => {
    const { code, stdout } = await runCli('test', root('src/core'));
    expect(stdout).toContain('no *.test.yaml');
    expect(code).toBe(2);
  });

  it('reports as JSON and as JUnit XML for CI', async () => {
    const json = await runCli('test', '--reporter', 'json', fixture('failing.test.yaml'));
    const parsed = JSON.parse(json.stdout) as { files: Array<{ cases: Array<{ name: string; passed: boolean; failures: Array<{ target: string }> }> }> };
    expect(parsed.files[0]!.cases.map((c) => [c.name, c.passed])).toEqual([
      ['passes', true],
      ['fails on a wrong count and a missing word', false],
    ]);
    expect(parsed.files[0]!.cases[1]!.failures[0]!.target).toBe('word.counts');
    expect(json.code).toBe(1);
    const junit = await runCli('test', '--reporter', 'junit', fixture('failing.test.yaml'));
    expect(junit.stdout).toContain('<testsuite name=');
    expect(junit.stdout).toContain('tests="2" failures="1"');
    expect(junit.stdout).toMatch(/<failure message="word.counts: 2 records out/);
  });

  it('--faults: an exactly-once windowed count equals the run without crashes; an at-least-once one counts again and fails', async () => {
    const eos = await runCli('test', '--faults', fixture('faults/exactly-once.test.yaml'));
    expect(eos.stdout).toMatch(/✓ counts views per page per minute \(\d+ ms, 5 crashes\)/);
    expect(eos.code).toBe(0);
    const alo = await runCli('test', '--faults', '--crash-every', '2', fixture('faults/at-least-once.test.yaml'));
    expect(alo.stdout).toMatch(/✗ counts views per page per minute \(\d+ ms, 3 crashes\)/);
    expect(alo.stdout).toMatch(/page.views with a crash every 2 records: unexpected \{"key":"\/a".*"value":(?!3\})\d+\}\}/);
    expect(alo.code).toBe(1);
    // Without faults both count right: the difference is the guarantee alone.
    expect((await runCli('test', fixture('faults/at-least-once.test.yaml'))).code).toBe(0);
  });

  it('--faults skips a case fed through stdin, which cannot be restarted', async () => {
    const { stdout, code } = await runCli('test', '--faults', fixture('stdin.test.yaml'));
    expect(stdout).toContain('- reads lines from stdin (skipped: input through stdin (lines), which cannot be restarted)');
    expect(stdout).toContain('0 passed, 0 failed, 1 skipped');
    expect(code).toBe(0);
    const plain = await runCli('test', fixture('stdin.test.yaml'));
    expect(plain.stdout).toMatch(/✓ reads lines from stdin/);
  });
});

