/**
 * A record its topic refuses on its own (over `max.message.bytes`, which the
 * embedded broker enforces as Kafka does) goes to the dead-letter topic with
 * the broker's error, and the stage goes on: every other record is delivered
 * once, in order. Its dead letter is as large and is refused by the
 * dead-letter topic too, so it is cut down to fit, with headers saying what
 * was cut. Both guarantees: at-least-once (a file source) and exactly-once.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/index.ts';
import { DLQ_ORIGINAL_VALUE_BYTES, DLQ_TRUNCATED, smallerDeadLetter } from '../../../src/runtime/dead-letter.ts';
import { TopologyRun } from '../../../src/runtime/index.ts';
import { loadTopology } from '../../../src/topology/index.ts';
import { EmbeddedBroker, createEmbeddedTransport, type ConsumedRecord } from '../../../src/transport/index.ts';
import { growingTopology, linesToTopicTopology } from '../../integration/runtime/examples.ts';

function recordsOf(broker: EmbeddedBroker, topic: string): ConsumedRecord[] {
  return broker.topic(topic).logs.flat().filter((r): r is ConsumedRecord => r !== null);
}

function expectCutDeadLetter(letter: ConsumedRecord, original: Buffer, stage: string): void {
  const header = (name: string) => letter.headers[name]?.toString();
  expect(header('sluice.dlq.error.code')).toBe('SLUICE_ERR_RECORD_REFUSED');
  expect(header('sluice.dlq.error.broker')).toBe('MESSAGE_TOO_LARGE');
  expect(header('sluice.dlq.error.message')).toMatch(/refused the record: MESSAGE_TOO_LARGE: the record is \d+ bytes, more than the topic's max\.message\.bytes \(1048588\)/);
  expect(header('sluice.dlq.stage')).toBe(stage);
  expect(header(DLQ_TRUNCATED)).toBe('value');
  expect(header(DLQ_ORIGINAL_VALUE_BYTES)).toBe(String(original.length));
  // As much as fits, from the start of the original bytes.
  expect(letter.value!.length).toBeGreaterThan(original.length / 8);
  expect(letter.value!.equals(original.subarray(0, letter.value!.length))).toBe(true);
}

describe('a record its topic refuses', () => {
  it('at-least-once: is dead-lettered (cut down to fit the dead-letter topic) and every other line is delivered once, in order', async () => {
    const big = randomBytes(1_800_000).toString('base64');
    const lines = Array.from({ length: 200 }, (_, i) => `line ${i}`);
    lines.splice(100, 0, big);
    const file = linesToTopicTopology(lines);
    const broker = new EmbeddedBroker();
    const transport = createEmbeddedTransport(broker);
    const report = await (await TopologyRun.start({ topology: await loadTopology(file), transport, logger: silentLogger })).done;
    expect(report.failed).toEqual([]);
    expect(report.stages[0]).toMatchObject({ read: 201, written: 200, deadLettered: 1 });
    // Each partition in file order, every line once.
    const written = recordsOf(broker, 'lines').map((r) => ({ partition: r.partition, n: Number((JSON.parse(r.value!.toString()) as string).slice('line '.length)) }));
    expect(written.map((w) => w.n).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    for (const p of [0, 1, 2]) {
      const ns = written.filter((w) => w.partition === p).map((w) => w.n);
      expect(ns).toEqual([...ns].sort((a, b) => a - b));
    }
    const dead = recordsOf(broker, 'big.read.dlq');
    expect(dead).toHaveLength(1);
    expectCutDeadLetter(dead[0]!, Buffer.from(big), 'read');
    expect(dead[0]!.headers['sluice.dlq.original.line']?.toString()).toBe('101');
    await transport.close();
  });

  it('exactly-once: the refused output is dead-lettered in its transaction, the partition goes on, every other output once', async () => {
    const file = growingTopology(50);
    const broker = new EmbeddedBroker();
    const transport = createEmbeddedTransport(broker);
    await transport.createTopics([{ name: 'in', partitions: 2 }]);
    const producer = await transport.producer();
    await producer.send(Array.from({ length: 100 }, (_, i) => ({ topic: 'in', key: `k${i}`, value: JSON.stringify({ id: i }) })));
    await producer.close();
    const run = await TopologyRun.start({ topology: await loadTopology(file), transport, logger: silentLogger, commitIntervalMs: 50 });
    expect(run.stages[0]!.exactlyOnce).toBe(true);
    const report = await run.done;
    expect(report.failed).toEqual([]);
    const ids = recordsOf(broker, 'out').map((r) => (JSON.parse(r.value!.toString()) as { id: number }).id);
    expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i).filter((i) => i !== 50));
    const dead = recordsOf(broker, 'grow.dlq');
    expect(dead.map((d) => d.key?.toString())).toEqual(['k50']);
    // The input record itself fitted: its dead letter is whole.
    expect(JSON.parse(dead[0]!.value!.toString())).toEqual({ id: 50 });
    expect(dead[0]!.headers['sluice.dlq.error.broker']?.toString()).toBe('MESSAGE_TOO_LARGE');
    // Committed to the end of the input: nothing is left to read again.
    expect(broker.group('eosbig.grow').committedOffsets('in')).toEqual(broker.endOffsets('in'));
    await transport.close();
  });
});

describe('smallerDeadLetter', () => {
  it('halves the value, then drops the original headers, then gives up: never silently to nothing', () => {
    const letter = { topic: 'dlq', key: 'k', value: Buffer.alloc(8, 1), headers: { own: 'x', 'sluice.dlq.stage': 's' } };
    const steps = [];
    for (let at: typeof letter | undefined = letter; at !== undefined; at = smallerDeadLetter(at) as typeof letter | undefined) steps.push(at);
    expect(steps.map((s) => [(s.value as Buffer).length, Object.keys(s.headers).sort().join(' ')])).toEqual([
      [8, 'own sluice.dlq.stage'],
      [4, `own ${DLQ_ORIGINAL_VALUE_BYTES} sluice.dlq.stage ${DLQ_TRUNCATED}`],
      [2, `own ${DLQ_ORIGINAL_VALUE_BYTES} sluice.dlq.stage ${DLQ_TRUNCATED}`],
      [1, `own ${DLQ_ORIGINAL_VALUE_BYTES} sluice.dlq.stage ${DLQ_TRUNCATED}`],
      [0, `own ${DLQ_ORIGINAL_VALUE_BYTES} sluice.dlq.stage ${DLQ_TRUNCATED}`],
      [0, `${DLQ_ORIGINAL_VALUE_BYTES} sluice.dlq.stage ${DLQ_TRUNCATED}`],
    ]);
    expect(steps.at(-1)!.headers).toMatchObject({ [DLQ_TRUNCATED]: 'value,headers', [DLQ_ORIGINAL_VALUE_BYTES]: '8' });
    expect(steps.at(-1)!.key).toBe('k');
  });
});
