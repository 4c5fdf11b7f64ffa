/**
 * Records the real broker refuses on their own (over the topic's default
 * max.message.bytes, ~1 MB), through stages on Kafka: a 5 MB line among small
 * ones from a file source used to fail the stage with SLUICE_ERR_PRODUCE in a
 * crash loop (the record before it written 5 times, the one after it never).
 * Now the stage goes on, the line is in the dead-letter topic with the
 * broker's error (cut down to fit that topic too), and every other line is in
 * the topic exactly once. An exactly-once stage whose output grows too large
 * dead-letters it in its transaction and its partition goes on.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/index.ts';
import { TopologyRun } from '../../../src/runtime/index.ts';
import { loadTopology } from '../../../src/topology/index.ts';
import { createTransport } from '../../../src/transport/index.ts';
import { brokers, kafka, uniqueName } from '../harness/kafka.ts';
import { growingTopology, linesToTopicTopology } from './examples.ts';

interface Read {
  partition: number;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

/** Everything committed in `topic`, once `expected` records are in, and a moment more for any duplicate. */
async function readAll(topic: string, expected: number): Promise<Read[]> {
  const consumer = kafka().consumer({ groupId: uniqueName('refused-read'), maxBytesPerPartition: 8 * 1024 * 1024 });
  const out: Read[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        out.push({ partition, key: message.key?.toString() ?? null, value: message.value!, headers });
      },
    });
    for (let waited = 0; out.length < expected && waited < 60_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1_500));
  } finally {
    await consumer.disconnect();
  }
  return out;
}

function expectBrokerRefusal(letter: Read): void {
  expect(letter.headers['sluice.dlq.error.code']).toBe('SLUICE_ERR_RECORD_REFUSED');
  expect(letter.headers['sluice.dlq.error.broker']).toBe('MESSAGE_TOO_LARGE');
  expect(letter.headers['sluice.dlq.error.message']).toMatch(/refused the record: MESSAGE_TOO_LARGE: The request included a message larger than the max message size the server will accept/);
}

describe('records the broker refuses on their own', () => {
  it('a 5 MB line from a file source: dead-lettered with the broker\'s error, the stage goes on, every other line once', async () => {
    const namespace = `${uniqueName('refused')}.`;
    const big = randomBytes(3_900_000).toString('base64');
    const lines = Array.from({ length: 3_000 }, (_, i) => `line ${i}`);
    lines.splice(1_500, 0, big);
    const file = linesToTopicTopology(lines);
    const transport = createTransport({ brokers: brokers(), clientId: 'sluice-refused', logger: silentLogger });
    try {
      const report = await (await TopologyRun.start({ topology: await loadTopology(file), transport, logger: silentLogger, namespace })).done;
      expect(report.failed).toEqual([]);
      expect(report.stages[0]).toMatchObject({ read: 3_001, written: 3_000, deadLettered: 1 });
    } finally {
      await transport.close();
    }
    const written = (await readAll(`${namespace}lines`, 3_000)).map((r) => ({ partition: r.partition, n: Number((JSON.parse(r.value.toString()) as string).slice('line '.length)) }));
    expect(written.map((w) => w.n).sort((a, b) => a - b)).toEqual(Array.from({ length: 3_000 }, (_, i) => i));
    for (const p of [0, 1, 2]) {
      const ns = written.filter((w) => w.partition === p).map((w) => w.n);
      expect(ns, `partition ${p} in file order`).toEqual([...ns].sort((a, b) => a - b));
    }
    const dead = await readAll(`${namespace}big.read.dlq`, 1);
    expect(dead).toHaveLength(1);
    expectBrokerRefusal(dead[0]!);
    expect(dead[0]!.headers['sluice.dlq.original.line']).toBe('1501');
    // Too large for the dead-letter topic as well: kept from the start, as much as fits, saying so.
    expect(dead[0]!.headers['sluice.dlq.truncated']).toBe('value');
    expect(dead[0]!.headers['sluice.dlq.original.value.bytes']).toBe(String(big.length));
    expect(dead[0]!.value.length).toBeGreaterThan(250_000);
    expect(dead[0]!.value.equals(Buffer.from(big).subarray(0, dead[0]!.value.length))).toBe(true);
  });

  it('an exactly-once stage whose output grows too large: that output is dead-lettered, its partition goes on, every other output once', async () => {
    const namespace = `${uniqueName('refusedeos')}.`;
    const file = growingTopology(777);
    const topology = await loadTopology(file);
    const transport = createTransport({ brokers: brokers(), clientId: 'sluice-refused-eos', logger: silentLogger });
    try {
      await transport.createTopics([{ name: `${namespace}in`, partitions: 2 }]);
      const producer = await transport.producer();
      await producer.send(Array.from({ length: 2_000 }, (_, i) => ({ topic: `${namespace}in`, key: `k${i}`, value: JSON.stringify({ id: i }) })));
      await producer.close();
      const run = await TopologyRun.start({ topology, transport, logger: silentLogger, namespace, untilCaughtUp: true, commitIntervalMs: 200 });
      expect(run.stages[0]!.exactlyOnce).toBe(true);
      const report = await run.done;
      expect(report.failed).toEqual([]);
    } finally {
      await transport.close();
    }
    const ids = (await readAll(`${namespace}out`, 1_999)).map((r) => (JSON.parse(r.value.toString()) as { id: number }).id);
    expect(ids.length).toBe(1_999);
    expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: 2_000 }, (_, i) => i).filter((i) => i !== 777));
    const dead = await readAll(`${namespace}grow.dlq`, 1);
    expect(dead.map((d) => d.key)).toEqual(['k777']);
    expectBrokerRefusal(dead[0]!);
    expect(JSON.parse(dead[0]!.value.toString())).toEqual({ id: 777 });
  });
});
