/** `sluice query` against a real coordinator (the word-count example, embedded, fed on stdin so its stores stay up). */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Coordinator } from '../../../src/coordinator/index.ts';
import { startWordCountOnStdin, wordCountFile, wordCountText } from '../coordinator/fixtures.ts';
import { runCli } from './cli-harness.ts';

const TOKEN = 'cli-query-token';
const { counts } = await wordCountText();
let coordinator: Coordinator;
let end: () => Promise<void>;
let tokenFile: string;

beforeAll(async () => {
  ({ coordinator, end } = await startWordCountOnStdin({ port: 0, token: TOKEN }));
  tokenFile = join(await mkdtemp(join(tmpdir(), 'sluice-query-')), 'token');
  await writeFile(tokenFile, `${TOKEN}\n`);
});

afterAll(async () => {
  await end?.();
});

describe('sluice query', () => {
  it("prints a word's aggregates as JSON, its count equal to the text's", async () => {
    const { code, stdout, stderr } = await runCli('query', wordCountFile, 'count', 'fox', '--url', coordinator.http!.url, '--token-file', tokenFile);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const body = JSON.parse(stdout) as { node: string; key: string; results: Array<{ value: number }> };
    expect(body).toMatchObject({ node: 'count', store: 'aggregate', key: 'fox' });
    expect(body.results.map((r) => r.value)).toEqual([counts.get('fox')]);
  });

  it('exits 1 with the reason on stderr for a key with no aggregates, and for a missing token', async () => {
    const missing = await runCli('query', wordCountFile, 'count', 'unicorn', '--url', coordinator.http!.url, '--token-file', tokenFile);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no aggregates of key `unicorn` in count\/aggregate \[SLUICE_ERR_KEY_NOT_FOUND\]/);
    expect(JSON.parse(missing.stdout)).toMatchObject({ code: 'SLUICE_ERR_KEY_NOT_FOUND', key: 'unicorn' });
    const token = process.env.SLUICE_TOKEN;
    delete process.env.SLUICE_TOKEN;
    try {
      const refused = await runCli('query', wordCountFile, 'count', 'fox', '--url', coordinator.http!.url);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/\(401\).*set SLUICE_TOKEN or give --token-file.*\[SLUICE_ERR_HTTP_UNAUTHORIZED\]/);
    } finally {
      if (token !== undefined) process.env.SLUICE_TOKEN = token;
    }
  });

  it('exits 2 for usage errors: a node not in the file, a bad --url, a missing argument', async () => {
    const node = await runCli('query', wordCountFile, 'nope', 'fox', '--url', coordinator.http!.url);
    expect(node.code).toBe(2);
    expect(node.stderr).toMatch(/no node `nope`.*nodes: read, split, count, print/);
    const url = await runCli('query', wordCountFile, 'count', 'fox', '--url', 'ftp://example');
    expect(url.code).toBe(2);
    expect(url.stderr).toMatch(/--url must be http/);
    expect((await runCli('query', wordCountFile, 'count')).code).toBe(2);
  });

  it('exits 1 naming the address when no coordinator answers', async () => {
    const { code, stderr } = await runCli('query', wordCountFile, 'count', 'fox', '--url', 'http://127.0.0.1:9', '--token-file', tokenFile);
    expect(code).toBe(1);
    expect(stderr).toMatch(/no coordinator answers on http:\/\/127\.0\.0\.1:9.*\[SLUICE_ERR_COORDINATOR_UNREACHABLE\]/);
  });
});

describe('sluice status --url', () => {
  it("prints the coordinator's own status, with its instances and the count stage's store restores", async () => {
    const json = await runCli('status', wordCountFile, '--url', coordinator.http!.url, '--token-file', tokenFile, '--json');
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const snapshot = JSON.parse(json.stdout) as { transport: string; stages: Array<{ stage: string; local?: { restores: Array<{ store: string; partition: number; remaining: number }> } }> };
    expect(snapshot.transport).toBe('embedded');
    const count = snapshot.stages.find((s) => s.stage === 'count')!;
    expect(count.local!.restores.map((r) => [r.store, r.partition, r.remaining])).toEqual([
      ['aggregate', 0, 0],
      ['aggregate', 1, 0],
      ['aggregate', 2, 0],
    ]);
    const table = await runCli('status', wordCountFile, '--url', coordinator.http!.url, '--token-file', tokenFile);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^topology q[0-9a-f]{8}\.word-count \(embedded\)/);
    expect(table.stdout).toMatch(/\ncount +1\/1 +running/);
  });
});
