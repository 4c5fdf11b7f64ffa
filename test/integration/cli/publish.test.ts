import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.ts';
import { silentLogger } from '../../../src/core/index.ts';
import { createTransport } from '../../../src/transport/index.ts';
import { brokers, createTopic, uniqueName, withAdmin } from '../harness/kafka.ts';
import { readTopicToMarkers } from '../harness/read-topic.ts';
import { registryUrl } from '../harness/registry.ts';
import { freePort } from '../runtime/http-client.ts';

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

/** The CLI as a user runs it: its own process, exit code and stderr. */
function sluice(args: string[]): Promise<{ code: number; stderr: string }> {
  const bin = fileURLToPath(new URL('../../../bin/sluice.js', import.meta.url));
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { timeout: 60_000 }, (err, _stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stderr });
    });
  });
}

describe('sluice publish --codec avro-confluent --schema-registry (CLI)', () => {
  it('registers <topic>-value and writes Confluent wire format with that id', async () => {
    const topic = uniqueName('reginterop-cli');
    await createTopic(topic, 2);
    const sent = Array.from({ length: 20 }, (_, i) => ({ id: i, kind: i % 2 === 0 ? 'even' : 'odd' }));
    const { input, schemaPath } = await files(sent.map((v) => JSON.stringify(v)));
    const run = await sluice(['publish', input, '--brokers', brokers().join(','), '--topic', topic, '--schema', schemaPath, '--codec', 'avro-confluent', '--schema-registry', registryUrl()]);
    expect(run.stderr).toContain(`sluice publish: 20 sent to ${topic}, 0 rejected`);
    expect(run.code).toBe(0);

    const latest = (await (await fetch(`${registryUrl()}/subjects/${topic}-value/versions/latest`)).json()) as { id: number; schema: string };
    expect(JSON.parse(latest.schema)).toEqual(schema);
    const transport = createTransport({ brokers: brokers(), clientId: 'sluice-reginterop-cli', logger: silentLogger });
    try {
      const type = avro.Type.forSchema(schema as avro.Schema);
      const records = await readTopicToMarkers(transport, topic);
      expect(records.map((r) => [r.value![0], r.value!.readUInt32BE(1)])).toEqual(sent.map(() => [0, latest.id]));
      expect(records.map((r) => type.fromBuffer(r.value!.subarray(5)) as { id: number }).sort((a, b) => a.id - b.id)).toEqual(sent);
    } finally {
      await transport.close();
    }
  });

  it('exits 1 naming the registry and SLUICE_ERR_SCHEMA_REGISTRY_UNAVAILABLE when it is unreachable, and sends nothing', async () => {
    const topic = uniqueName('reginterop-cli-down');
    await createTopic(topic, 1);
    const { input, schemaPath } = await files([JSON.stringify({ id: 1, kind: 'ok' })]);
    const url = `http://127.0.0.1:${await freePort()}/apis/ccompat/v7`;
    const run = await sluice(['publish', input, '--brokers', brokers().join(','), '--topic', topic, '--schema', schemaPath, '--codec', 'avro-confluent', '--schema-registry', url]);
    expect(run.stderr).toContain(`schema registry unreachable (POST ${url}/subjects/${topic}-value/versions)`);
    expect(run.stderr).toContain('[SLUICE_ERR_SCHEMA_REGISTRY_UNAVAILABLE]');
    expect(run.code).toBe(1);
    const offsets = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
    expect(offsets.map((o) => o.high)).toEqual(['0']);
  });
});
