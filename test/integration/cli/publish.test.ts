import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.ts';
import { brokers, createTopic, uniqueName } from '../harness/kafka.ts';

const schema = { type: 'record', name: 'Event', fields: [{ name: 'id', type: 'int' }, { name: 'kind', type: 'string' }] };

async function files(lines: string[]): Promise<{ dir: string; input: string; schemaPath: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-publish-'));
  const input = join(dir, 'events.ndjson');
  const schemaPath = join(dir, 'event.avsc');
  await writeFile(input, lines.join('\n') + '\n');
  await writeFile(schemaPath, JSON.stringify(schema));
  return { dir, input, schemaPath };
}

afterEach(() => {
  process.exitCode = undefined;
});

describe('sluice publish (CLI)', () => {
  it('exits 0 when every line is sent, at a set rate', async () => {
    const topic = uniqueName('cli-publish');
    await createTopic(topic, 2);
    const { input, schemaPath } = await files(Array.from({ length: 50 }, (_, i) => JSON.stringify({ id: i, kind: 'ok' })));
    const code = await main(['node', 'sluice', 'publish', input, '--brokers', brokers().join(','), '--topic', topic, '--schema', schemaPath, '--key', 'id', '--rate', '2000/s']);
    expect(code).toBe(0);
  });

  it('exits 1 when a line is rejected, and writes it to the rejects file', async () => {
    const topic = uniqueName('cli-publish');
    await createTopic(topic, 1);
    const { dir, input, schemaPath } = await files([JSON.stringify({ id: 1, kind: 'ok' }), JSON.stringify({ id: 'two' })]);
    const rejects = join(dir, 'rejects.ndjson');
    const code = await main(['node', 'sluice', 'publish', input, '--brokers', brokers().join(','), '--topic', topic, '--schema', schemaPath, '--rejects', rejects]);
    expect(code).toBe(1);
    expect(JSON.parse((await readFile(rejects, 'utf8')).trim())).toMatchObject({ line: 2, code: 'SLUICE_ERR_RECORD_INVALID' });
  });

  it('exits 2 on a usage error before touching the broker', async () => {
    const { input } = await files(['{}']);
    expect(await main(['node', 'sluice', 'publish', input, '--brokers', brokers().join(','), '--topic', 't', '--rate', 'fast'])).toBe(2);
  });
});
