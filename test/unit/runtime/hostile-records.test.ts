/**
 * Hostile records through a running stage (issue 9): invalid JSON, a value
 * its output schema refuses, an Avro body with a huge block count or length
 * prefix, truncated and bomb-sized LZ4 frames, tampered AES-GCM ciphertext,
 * tag and AAD, an unknown key id and a 100 MB value each go to the dead-letter
 * topic with their error code, provenance and original bytes; memory stays
 * bounded; every good record behind them still comes out. A key that is not
 * UTF-8 passes untouched (keys are bytes), and a null value passes as what
 * Kafka means by it, a tombstone. On the embedded transport, so it needs no broker.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeyRing, createCodecChain, encodeLz4Frame } from '../../../src/codecs/index.ts';
import { ErrorCodes, silentLogger } from '../../../src/core/index.ts';
import { TopologyRun } from '../../../src/runtime/index.ts';
import { Publisher } from '../../../src/runtime/publisher.ts';
import { loadTopology } from '../../../src/topology/index.ts';
import { EmbeddedBroker, createEmbeddedTransport } from '../../../src/transport/index.ts';
import { writeTopology } from '../../integration/runtime/examples.ts';
import { avroLong as varint } from '../codecs/fixtures.ts';
import { readTopic } from './embedded-topic.ts';

const KEYS = `k1:${randomBytes(32).toString('base64')}`;
const OTHER_KEYS = `k9:${randomBytes(32).toString('base64')}`;
const GOOD_PER_TOPIC = 50;

const SCHEMA = { type: 'record', name: 'Item', fields: [{ name: 'n', type: 'int' }, { name: 'tags', type: { type: 'array', items: 'string' } }] };

/** A copy of `buf` with the byte at `index` (negative: from the end) flipped. */
function flip(buf: Buffer, index: number): Buffer {
  const copy = Buffer.from(buf);
  const i = index < 0 ? copy.length + index : index;
  copy[i] = copy[i]! ^ 0xff;
  return copy;
}

describe('hostile records through a stage', () => {
  it('dead-letters each with its code and provenance, keeps memory bounded and passes every good record', async () => {
    const file = writeTopology({
      'topology.yaml': `
name: hostile
schemas:
  Item: ./item.avsc
topics:
  in.json: { codec: json }
  in.avro: { codec: avro, schema: Item }
  in.lz4: { codec: json|lz4 }
  in.sealed: { codec: json|aes-gcm }
  out: { codec: avro, schema: Item }
nodes:
  feed-json: { source: { file: ./none.ndjson }, to: in.json }
  feed-avro: { source: { file: ./none.ndjson }, to: in.avro }
  feed-lz4: { source: { file: ./none.ndjson }, to: in.lz4 }
  feed-sealed: { source: { file: ./none.ndjson }, to: in.sealed }
  check:
    from: [in.json, in.avro, in.lz4, in.sealed]
    to: out
    dead-letter: hostile.dlq
  store:
    from: out
    sink: { file: ./out.ndjson }
`,
      'item.avsc': JSON.stringify(SCHEMA),
      'none.ndjson': '',
    });
    const topology = await loadTopology(file);
    const broker = new EmbeddedBroker();
    const transport = createEmbeddedTransport(broker);
    // Room for the 100 MB value and its dead letter: this test is about decoding hostile bytes (records too large for their topic: refused.test.ts).
    const roomy = { 'max.message.bytes': String(128 * 1024 * 1024) };
    await transport.createTopics(['in.json', 'in.avro', 'in.lz4', 'in.sealed', 'out', 'hostile.dlq'].map((name) => ({ name, partitions: 1, config: roomy })));

    // Good records first, in every input topic, through the publisher as a user would write them.
    const good = (topic: string, i: number) => ({ n: i, tags: [topic] });
    for (const [topic, codec] of [['in.json', 'json'], ['in.avro', 'avro'], ['in.lz4', 'json|lz4'], ['in.sealed', 'json|aes-gcm']] as const) {
      const pub = await Publisher.open({ topic, codec, transport, keys: KeyRing.parse(KEYS, 'test'), ...(codec === 'avro' ? { schema: join(topology.dir, 'item.avsc') } : {}) });
      await pub.publish(Array.from({ length: GOOD_PER_TOPIC / 2 }, (_, i) => good(topic, i)));
      await pub.close();
    }
    const sealed = (await readTopic(broker, transport, 'in.sealed'))[0]!;
    const strangerPub = await Publisher.open({ topic: 'in.sealed', codec: 'json|aes-gcm', transport, keys: KeyRing.parse(OTHER_KEYS, 'test') });
    await strangerPub.publish([good('in.sealed', 999)]);
    await strangerPub.close();
    const sealedElsewhere = createCodecChain('json|aes-gcm', { keys: KeyRing.parse(KEYS, 'test') }).encode(good('x', 1), { aad: Buffer.from('another.topic') });

    const hostile: Array<{ topic: string; value: Buffer; expect: string; what: string }> = [
      { what: 'invalid JSON', topic: 'in.json', value: Buffer.from('{"n": 1, "tags": [ '), expect: ErrorCodes.DESERIALIZE },
      { what: 'a value the output schema refuses', topic: 'in.json', value: Buffer.from('{"n": "not an int", "tags": []}'), expect: ErrorCodes.RECORD_INVALID },
      { what: 'a 100 MB value', topic: 'in.json', value: Buffer.alloc(100 * 1024 * 1024, 0x20), expect: ErrorCodes.DESERIALIZE },
      { what: 'an Avro block count of 100,000,000 in 7 bytes', topic: 'in.avro', value: Buffer.concat([varint(2n), varint(100_000_000n)]), expect: ErrorCodes.DESERIALIZE },
      { what: 'an Avro string length of 2^60', topic: 'in.avro', value: Buffer.concat([varint(2n), varint(1n), varint(1n << 60n)]), expect: ErrorCodes.DESERIALIZE },
      { what: 'a truncated LZ4 frame', topic: 'in.lz4', value: encodeLz4Frame(Buffer.from(JSON.stringify(good('in.lz4', 7)))).subarray(0, 9), expect: ErrorCodes.DECOMPRESS },
      { what: 'an LZ4 bomb (200 MB of zeros)', topic: 'in.lz4', value: encodeLz4Frame(Buffer.alloc(200 * 1024 * 1024)), expect: ErrorCodes.DECOMPRESS_LIMIT },
      { what: 'tampered AES-GCM ciphertext', topic: 'in.sealed', value: flip(sealed.value!, -20), expect: ErrorCodes.DECRYPT_AUTH },
      { what: 'a tampered AES-GCM tag', topic: 'in.sealed', value: flip(sealed.value!, -1), expect: ErrorCodes.DECRYPT_AUTH },
      { what: 'AES-GCM sealed for another topic (AAD)', topic: 'in.sealed', value: sealedElsewhere, expect: ErrorCodes.DECRYPT_AUTH },
    ];
    const producer = await transport.producer();
    for (const h of hostile) await producer.send([{ topic: h.topic, key: Buffer.from(h.what), value: h.value, headers: {} }]);
    // A key that is not UTF-8 on a good record: keys are bytes; it must pass untouched, not fail or vanish.
    const badKey = Buffer.from([0xff, 0xfe, 0xc3, 0x28]);
    await producer.send([{ topic: 'in.json', key: badKey, value: Buffer.from(JSON.stringify(good('in.json', 500))), headers: {} }]);
    // A null value is Kafka's tombstone (delete this key on a compacted topic): it passes through as one.
    await producer.send([{ topic: 'in.json', key: Buffer.from('tombstone'), value: null, headers: {} }]);
    // And good records behind the hostile ones: the partitions keep moving.
    const pub = await Publisher.open({ topic: 'in.json', codec: 'json', transport });
    await pub.publish(Array.from({ length: GOOD_PER_TOPIC / 2 }, (_, i) => good('in.json', 100 + i)));
    await pub.close();
    await producer.close();

    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 20);
    const run = await TopologyRun.start({ topology, transport, logger: silentLogger, nodes: ['check', 'store'], untilCaughtUp: true, env: { SLUICE_KEYS: KEYS } });
    const report = await run.done;
    clearInterval(sampler);

    expect(report.failed).toEqual([]);
    const check = report.stages.find((s) => s.node === 'check')!;
    // Good ones: every publisher's, the non-UTF-8-keyed one and the tombstone; bad ones: the list and the stranger's key id.
    const goodCount = 4 * (GOOD_PER_TOPIC / 2) + GOOD_PER_TOPIC / 2 + 2;
    expect(check).toMatchObject({ read: goodCount + hostile.length + 1, written: goodCount, deadLettered: hostile.length + 1 });
    const out = readFileSync(join(topology.dir, 'out.ndjson'), 'utf8').trim().split('\n');
    expect(out).toHaveLength(goodCount);
    expect(out.filter((line) => line === 'null')).toHaveLength(1);

    const dead = await readTopic(broker, transport, 'hostile.dlq');
    const byKey = new Map(dead.map((d) => [d.key?.toString() ?? '', d]));
    for (const h of hostile) {
      const d = byKey.get(h.what);
      expect(d, h.what).toBeDefined();
      expect(String(d!.headers['sluice.dlq.error.code']), h.what).toBe(h.expect);
      expect(String(d!.headers['sluice.dlq.stage']), h.what).toBe('check');
      expect(String(d!.headers['sluice.dlq.original.topic']), h.what).toBe(h.topic);
      expect(d!.headers['sluice.dlq.original.offset'], h.what).toBeDefined();
      // The original bytes, unchanged, so the record can be repaired and replayed.
      expect(Buffer.compare(d!.value!, h.value), h.what).toBe(0);
    }
    const stranger = dead.find((d) => String(d.headers['sluice.dlq.error.code']) === ErrorCodes.KEY_UNKNOWN);
    expect(stranger, 'a record sealed with a key id the stage does not have').toBeDefined();

    const written = await readTopic(broker, transport, 'out');
    expect(written.find((r) => r.key !== null && r.key.equals(badKey)), 'the good record with a non-UTF-8 key').toBeDefined();
    expect(written.find((r) => r.key?.toString() === 'tombstone')?.value, 'the tombstone').toBeNull();
    // 100 MB value plus its dead letter (the same bytes) is the floor; an 800 MB Avro array or a 200 MB LZ4 output would break this.
    expect(rssPeak - rssBefore).toBeLessThan(350 * 1024 * 1024);
    await transport.close();
  }, 60_000);
});
