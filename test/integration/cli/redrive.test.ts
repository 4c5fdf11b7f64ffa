/**
 * `sluice redrive` on a real broker, as the issue asks it to be proved: a
 * node whose processor is broken dead-letters every encrypted order; once it
 * is "fixed", the orders are redriven to their own topic (aes-gcm
 * authenticates the topic name, so they decrypt only there) and the next run
 * passes them. `--dry-run` sends and commits nothing, `--where` passes over
 * the other codes (and commits past them), and a second redrive sends nothing.
 * `--from` takes the file an embedded run wrote its dead letters to.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/index.ts';
import { createTransport } from '../../../src/transport/index.ts';
import { brokers, kafka, uniqueName, withAdmin } from '../harness/kafka.ts';
import { readTopicToMarkers } from '../harness/read-topic.ts';

const bin = fileURLToPath(new URL('../../../bin/sluice.js', import.meta.url));
const KEYS = `k1:${randomBytes(32).toString('base64')}`;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function sluice(args: string[], env: Record<string, string> = {}, input = ''): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [bin, ...args], { env: { ...process.env, SLUICE_KEYS: KEYS, SLUICE_LOG_LEVEL: 'warn', ...env } }, (err, stdout, stderr) =>
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr }),
    );
    child.stdin?.end(input);
  });
}

/** A private copy of the fixture, so its file sink is this test's alone. */
function copyFixture(name: 'encrypted' | 'embedded'): string {
  const dir = fileURLToPath(new URL(`../../../.cache/test-topologies/${uniqueName('redrive')}`, import.meta.url));
  cpSync(fileURLToPath(new URL(`../../fixtures/redrive/${name}`, import.meta.url)), dir, { recursive: true });
  return join(dir, 'topology.yaml');
}

async function endOffsets(topic: string): Promise<string[]> {
  return withAdmin(async (admin) => (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition).map((o) => o.high));
}

function report(result: Result): { total: Record<string, number>; byCode: Record<string, Record<string, number>> } {
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

describe('sluice redrive (CLI, Kafka)', () => {
  it('redrives the dead letters of a fixed node to their encrypted topic, once', async () => {
    const file = copyFixture('encrypted');
    const ns = uniqueName('rd');
    const orders = `${ns}.orders`;
    const common = ['--brokers', brokers().join(','), '--namespace', ns];
    const lines = [1, 2, 3].map((id) => JSON.stringify({ id, sku: `sku-${id}` })).join('\n') + '\n';
    const published = await sluice(['publish', '--brokers', brokers().join(','), '--topic', orders, '--codec', 'json|aes-gcm', '--key', 'id', '--partitions', '2'], {}, lines);
    expect(published.code, published.stderr).toBe(0);
    // One record that never decrypts: a dead letter of another code, which redriving cannot mend.
    const producer = kafka().producer();
    await producer.connect();
    await producer.send({ topic: orders, messages: [{ key: 'junk', value: 'not encrypted' }] });
    await producer.disconnect();

    const broken = await sluice(['run', file, ...common, '--until-caught-up', '--port', '0']);
    expect(broken.code, broken.stderr).toBe(0);
    expect(broken.stderr).toMatch(/enrich +read +4 +written +0 +dead-lettered +4/);
    const redrive = ['redrive', file, '--node', 'enrich', ...common];

    const before = await endOffsets(orders);
    const dry = report(await sluice([...redrive, '--dry-run']));
    expect(dry.byCode).toEqual({
      SLUICE_ERR_PROCESSOR: { redriven: 3, skipped: 0, filtered: 0, failed: 0 },
      SLUICE_ERR_DECRYPT_AUTH: { redriven: 1, skipped: 0, filtered: 0, failed: 0 },
    });
    expect(await endOffsets(orders)).toEqual(before);

    // The dry run committed nothing: this run still sees all four.
    const first = report(await sluice([...redrive, '--where', 'code=SLUICE_ERR_PROCESSOR']));
    expect(first.byCode).toEqual({
      SLUICE_ERR_PROCESSOR: { redriven: 3, skipped: 0, filtered: 0, failed: 0 },
      SLUICE_ERR_DECRYPT_AUTH: { redriven: 0, skipped: 0, filtered: 1, failed: 0 },
    });

    const fixed = await sluice(['run', file, ...common, '--until-caught-up', '--port', '0'], { REDRIVE_FIXED: '1' });
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stderr).toMatch(/enrich +read +3 +written +3 +dead-lettered +0/);
    const enriched = readFileSync(join(file, '..', 'out', 'enriched.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: number });
    expect(enriched.map((o) => o.id).sort()).toEqual([1, 2, 3]);
    expect(enriched[0]).toMatchObject({ enriched: true });

    // What went back to the topic: the dead letters' bytes, their provenance instead of sluice.dlq.*.
    const back = await redrivenHeaders(orders);
    expect(back).toHaveLength(3);
    for (const headers of back) {
      expect(Object.keys(headers).filter((h) => h.startsWith('sluice.dlq.'))).toEqual([]);
      expect(headers).toMatchObject({ 'sluice.redrive.from.topic': `${orders}.dlq`, 'sluice.redrive.error.code': 'SLUICE_ERR_PROCESSOR' });
    }

    const second = report(await sluice(redrive));
    expect(second.total).toEqual({ redriven: 0, skipped: 0, filtered: 0, failed: 0 });
  });
});

describe('sluice redrive --from (an embedded run\'s dead-letter file)', () => {
  it('writes the dead letters an embedded run left in out/<dlq>.ndjson to their topics on the broker, exit 1 for those refused', async () => {
    const file = copyFixture('embedded');
    const ns = uniqueName('rdf');
    const embedded = await sluice(['run', file, '--namespace', ns], { KAFKA_BROKERS: '' });
    expect(embedded.code, embedded.stderr).toBe(0);
    const from = join(file, '..', 'out', `${ns}.numbers.dlq.ndjson`);
    const sent = report(await sluice(['redrive', file, '--node', 'check', '--namespace', ns, '--from', from, '--brokers', brokers().join(',')]));
    expect(sent.total).toEqual({ redriven: 2, skipped: 0, filtered: 0, failed: 0 });

    // A topic that takes no record of that size: each is refused on its own, named, and the exit is 1.
    const tiny = `${ns}.tiny`;
    await withAdmin((admin) => admin.createTopics({ topics: [{ topic: tiny, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '80' }] }], waitForLeaders: true }));
    const refused = await sluice(['redrive', file, '--node', 'check', '--namespace', ns, '--from', from, '--to', tiny, '--brokers', brokers().join(',')]);
    expect(refused.code, refused.stderr).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ total: { redriven: 0, failed: 2 } });
    expect(refused.stderr).toMatch(new RegExp(`not redriven ${ns}\\.numbers\\.dlq\\[0\\]@\\d+ \\(SLUICE_ERR_PROCESSOR\\): .*MESSAGE_TOO_LARGE`));

    const transport = createTransport({ brokers: brokers(), clientId: 'sluice-test-redrive', logger: silentLogger });
    try {
      const records = await readTopicToMarkers(transport, `${ns}.numbers`);
      expect(records.map((r) => r.value?.toString()).sort()).toEqual(['{"n":-1}', '{"n":-2}']);
      expect(records[0]!.headers['sluice.redrive.from.topic']?.toString()).toBe(`${ns}.numbers.dlq`);
    } finally {
      await transport.close();
    }
  });
});

/** The headers of every record of `topic` that a redrive wrote. */
async function redrivenHeaders(topic: string): Promise<Array<Record<string, string>>> {
  const transport = createTransport({ brokers: brokers(), clientId: 'sluice-test-redrive', logger: silentLogger });
  try {
    const records = await readTopicToMarkers(transport, topic);
    return records
      .map((r) => Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, v.toString()])))
      .filter((h) => h['sluice.redrive.from.topic'] !== undefined);
  } finally {
    await transport.close();
  }
}
