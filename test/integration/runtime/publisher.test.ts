/**
 * The publisher against a real broker: 100,000 ndjson lines through
 * `sluice publish`'s core, read back by a plain kafkajs consumer and decoded
 * with nothing but the headers; bad lines reported and set aside.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import kafkajs from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/index.ts';
import { createCodecChain, loadSchemaFile, parseCodecHeaders } from '../../../src/codecs/index.ts';
import { runPublish } from '../../../src/cli/commands/publish.ts';
import { createPublisher } from '../../../src/runtime/publisher.ts';
import { createEmbeddedTransport, createSourceStream, EmbeddedBroker, type ConsumedRecord } from '../../../src/transport/index.ts';
import { brokers, createTopic, kafka, uniqueName } from '../harness/kafka.ts';

const schema = {
  type: 'record',
  name: 'User',
  namespace: 'com.example',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'name', type: 'string' },
    { name: 'email', type: ['null', 'string'], default: null },
    { name: 'created', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'score', type: 'double' },
  ],
};

interface User {
  id: number;
  name: string;
  email: string | null;
  created: string;
  score: number;
}

const user = (i: number): User => ({
  id: i,
  name: `user ${i} ✓`,
  email: i % 3 === 0 ? null : `u${i}@example.com`,
  created: new Date(1_700_000_000_000 + i * 1_000).toISOString(),
  score: i / 7,
});

let dir: string;
let schemaPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-publish-'));
  schemaPath = join(dir, 'user.avsc');
  await writeFile(schemaPath, JSON.stringify(schema));
});

function stderr(): PassThrough & { text: () => string } {
  const out = new PassThrough() as PassThrough & { text: () => string };
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  out.text = () => text;
  return out;
}

/** Reads `count` messages with a plain kafkajs consumer. */
async function readBack(topic: string, count: number): Promise<kafkajs.KafkaMessage[]> {
  const consumer = kafka().consumer({ groupId: uniqueName('readback') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const messages: kafkajs.KafkaMessage[] = [];
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        messages.push(...batch.messages);
        if (messages.length >= count) resolve();
      },
    });
  });
  await consumer.disconnect();
  return messages;
}

/** Counts LZ4 batches kafkajs decompresses while `fn` runs. */
async function countingLz4<T>(fn: () => Promise<T>): Promise<{ result: T; batches: number }> {
  const table = kafkajs.CompressionCodecs;
  const lz4 = kafkajs.CompressionTypes.LZ4;
  const original = table[lz4];
  let batches = 0;
  table[lz4] = () => {
    const codec = original();
    return { compress: codec.compress, decompress: (b: Buffer) => (batches++, codec.decompress(b)) };
  };
  try {
    return { result: await fn(), batches };
  } finally {
    table[lz4] = original;
  }
}

describe('publisher on Kafka', () => {
  it('publishes 100,000 ndjson lines that a plain kafkajs consumer reads back and decodes from the headers alone', async () => {
    const topic = uniqueName('publish');
    await createTopic(topic, 3);
    const input = join(dir, 'users.ndjson');
    const users = Array.from({ length: 100_000 }, (_, i) => user(i));
    await writeFile(input, users.map((u) => JSON.stringify(u)).join('\n') + '\n');

    const err = stderr();
    const report = await runPublish(
      { file: input, brokers: brokers(), topic, schema: schemaPath, key: 'id' },
      { stdin: new PassThrough(), stderr: err, logger: silentLogger },
    );
    expect(report).toMatchObject({ valid: 100_000, acknowledged: 100_000, rejected: 0, rejectsFile: undefined });
    expect(err.text()).toMatch(/sluice publish: 100000 sent to .*, 0 rejected, [\d.]+ s, \d+ records\/s/);

    const { result: messages, batches } = await countingLz4(() => readBack(topic, 100_000));
    expect(messages).toHaveLength(100_000);
    expect(batches).toBeGreaterThan(0); // record batches came back LZ4-compressed

    const loaded = await loadSchemaFile(schemaPath);
    const info = parseCodecHeaders(messages[0]!.headers as Record<string, Buffer>);
    expect(info).toMatchObject({ chain: 'avro', schema: 'com.example.User', fingerprint: loaded.fingerprint });
    // Decode with what the headers name, as any consumer would.
    const chain = createCodecChain(info!.chain, { schema: loaded });
    const seen = new Set<number>();
    for (const m of messages) {
      const decoded = chain.decode(m.value!, { headers: m.headers as Record<string, Buffer> }) as {
        id: number;
        created: Date;
      } & Omit<User, 'id' | 'created'>;
      const expected = users[decoded.id]!;
      expect(m.key!.toString('utf8')).toBe(String(expected.id));
      expect({ ...decoded, created: decoded.created.toISOString() }).toEqual(expected);
      seen.add(decoded.id);
    }
    expect(seen.size).toBe(100_000);
  });

  it('reports a malformed line and a schema-violating line by number, sets them aside, and sends the rest', async () => {
    const topic = uniqueName('publish-bad');
    await createTopic(topic, 1);
    const input = join(dir, 'bad.ndjson');
    const lines = [
      JSON.stringify(user(1)),
      JSON.stringify(user(2)),
      '{"id": 3, "name": "broken",',
      JSON.stringify(user(4)),
      JSON.stringify({ ...user(5), score: 'high' }),
      '',
      JSON.stringify(user(7)),
    ];
    await writeFile(input, lines.join('\n') + '\n');
    const rejectsPath = join(dir, 'bad.rejects.ndjson');
    const err = stderr();
    const report = await runPublish(
      { file: input, brokers: brokers(), topic, schema: schemaPath, key: 'id', rejects: rejectsPath },
      { stdin: new PassThrough(), stderr: err, logger: silentLogger },
    );
    expect(report).toMatchObject({ valid: 4, acknowledged: 4, rejected: 2, rejectsFile: rejectsPath });
    expect(err.text()).toContain(`${input}:3: malformed JSON`);
    expect(err.text()).toMatch(new RegExp(`${input}:5: .*score`));
    expect(err.text()).toContain('2 rejected');

    const rejects = (await readFile(rejectsPath, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { line: number; code: string; input: string });
    expect(rejects.map((r) => [r.line, r.code])).toEqual([
      [3, 'SLUICE_ERR_RECORD_INVALID'],
      [5, 'SLUICE_ERR_RECORD_INVALID'],
    ]);
    expect(rejects[0]!.input).toBe(lines[2]);

    const messages = await readBack(topic, 4);
    expect(messages.map((m) => m.key!.toString())).toEqual(['1', '2', '4', '7']);
  });
});

describe('publisher library API', () => {
  it('publishes values with a key function and headers, as a stream too, and reports acknowledged on close', async () => {
    const transport = createEmbeddedTransport(new EmbeddedBroker());
    const topic = 'users';
    const pub = await createPublisher({
      transport,
      topic,
      partitions: 4,
      schema: schemaPath,
      key: (v) => `user-${(v as User).id}`,
      headers: { source: 'test' },
    });
    await pub.publish([user(1), user(2)]);
    await expect(pub.publish([user(3), { ...user(4), id: 'four' }])).rejects.toMatchObject({
      code: 'SLUICE_ERR_RECORD_INVALID',
      context: { index: 1 },
    });
    const stream = pub.stream();
    stream.write(user(5));
    stream.end(user(6));
    await new Promise((resolve, reject) => stream.on('finish', resolve).on('error', reject));
    expect(stream.acknowledged).toBe(2);
    expect(await pub.close()).toEqual({ acknowledged: 4 });

    const consumer = await transport.consumer({ groupId: 'g', topics: [topic], fromBeginning: true });
    const source = await createSourceStream(consumer);
    const got: ConsumedRecord[] = [];
    for await (const r of source.iterator({ destroyOnReturn: false }) as AsyncIterable<ConsumedRecord>) {
      got.push(r);
      if (got.length === 4) break;
    }
    await consumer.disconnect();
    expect(got.map((r) => r.key!.toString()).sort()).toEqual(['user-1', 'user-2', 'user-5', 'user-6']);
    for (const r of got) {
      expect(r.headers.source!.toString()).toBe('test');
      expect(parseCodecHeaders(r.headers)?.chain).toBe('avro');
    }
    await transport.close();
  });
});
