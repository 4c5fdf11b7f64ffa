/**
 * Fetched record batches → ConsumedRecords for the @platformatic/kafka
 * driver, and what a read_committed reader may see of them, as the Java
 * consumer decides it: batches of an aborted transaction are skipped from the
 * transaction's first offset to its abort marker, per producer.
 */
import { IS_CONTROL, IS_TRANSACTIONAL, type KafkaRecord, type RecordsBatch } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import type { ConsumedRecord } from '../../../src/transport/index.ts';
import { committedBatches, consumedRecords, nextOffset } from '../../../src/transport/platformatic/records.ts';

function record(offsetDelta: number, value: string, headers: [string, string][] = []): KafkaRecord {
  return {
    length: 0,
    attributes: 0,
    timestampDelta: BigInt(offsetDelta),
    offsetDelta,
    key: null,
    value: Buffer.from(value),
    headers: headers.map(([k, v]) => [Buffer.from(k), Buffer.from(v)]),
  };
}

function batch(firstOffset: number, values: string[], producerId = -1n, attributes = producerId >= 0n ? IS_TRANSACTIONAL : 0): RecordsBatch {
  return {
    firstOffset: BigInt(firstOffset),
    length: 0,
    partitionLeaderEpoch: 0,
    magic: 2,
    crc: 0,
    attributes,
    lastOffsetDelta: values.length - 1,
    firstTimestamp: 1_700_000_000_000n,
    maxTimestamp: 1_700_000_009_999n,
    producerId,
    producerEpoch: 0,
    firstSequence: 0,
    records: values.map((v, i) => record(i, v)),
  };
}

/** A transaction marker of `producerId` at `offset`: its record's key is version 0, then 0 abort or 1 commit. */
function marker(offset: number, producerId: bigint, commit: boolean): RecordsBatch {
  const key = Buffer.alloc(4);
  key.writeInt16BE(commit ? 1 : 0, 2);
  return { ...batch(offset, ['']), producerId, attributes: IS_TRANSACTIONAL | IS_CONTROL, records: [{ ...record(0, ''), key, value: Buffer.alloc(6) }] };
}

const values = (batches: RecordsBatch[]) => batches.flatMap((b) => b.records.map((r) => r.value!.toString()));

describe('committedBatches', () => {
  it('skips two aborted transactions of one producer in one answer, keeping its committed one between them', () => {
    const p = 7n;
    const batches = [batch(0, ['a1', 'a2'], p), marker(2, p, false), batch(3, ['c1', 'c2'], p), marker(5, p, true), batch(6, ['a3'], p), marker(7, p, false), batch(8, ['c3'], p), marker(9, p, true)];
    const aborted = [
      { producerId: p, firstOffset: 0n },
      { producerId: p, firstOffset: 6n },
    ];
    expect(values(committedBatches(batches, aborted))).toEqual(['c1', 'c2', 'c3']);
  });

  it('skips an aborted transaction whose marker the answer does not hold yet', () => {
    const batches = [batch(0, ['plain']), batch(1, ['a1', 'a2'], 3n)];
    expect(values(committedBatches(batches, [{ producerId: 3n, firstOffset: 1n }]))).toEqual(['plain']);
  });

  it('keeps other producers and non-transactional batches interleaved with an aborted transaction', () => {
    const batches = [batch(0, ['a1'], 1n), batch(1, ['other'], 2n), batch(2, ['plain']), marker(3, 1n, false), marker(4, 2n, true)];
    expect(values(committedBatches(batches, [{ producerId: 1n, firstOffset: 0n }]))).toEqual(['other', 'plain']);
  });

  it('drops control batches even with no aborted transaction', () => {
    expect(values(committedBatches([batch(0, ['c1'], 1n), marker(1, 1n, true)], []))).toEqual(['c1']);
  });
});

describe('consumedRecords and nextOffset', () => {
  it('gives offsets, headers and timestamps, skips what was delivered before `from`, and moves past a trailing marker', () => {
    const batches = [batch(10, ['x', 'y', 'z']), marker(13, 1n, true)];
    const out: ConsumedRecord[] = [];
    batches[0]!.records[2] = record(2, 'z', [['n', '1'], ['n', '2']]);
    consumedRecords('t', 3, batches, 11n, out);
    expect(out.map((r) => [r.offset, r.value!.toString(), r.timestamp])).toEqual([
      ['11', 'y', 1_700_000_000_001],
      ['12', 'z', 1_700_000_000_002],
    ]);
    // Repeated header names: the last value wins, as for kafkajs.
    expect(out[1]!.headers.n!.toString()).toBe('2');
    expect(out[0]).toMatchObject({ topic: 't', partition: 3, key: null });
    expect(nextOffset(batches)).toBe(14n);
  });

  it('gives exact offsets past 2^53, where numbers would round', () => {
    const out: ConsumedRecord[] = [];
    const first = 2n ** 60n;
    consumedRecords('t', 0, [{ ...batch(0, ['x', 'y', 'z']), firstOffset: first }], first + 1n, out);
    expect(out.map((r) => r.offset)).toEqual([(first + 1n).toString(), (first + 2n).toString()]);
  });

  it('names each header from its own bytes when records differ in their header names', () => {
    const b = batch(0, ['x', 'y', 'z']);
    b.records[0] = record(0, 'x', [['a', '1']]);
    b.records[1] = record(1, 'y', [['a', '2'], ['b', '3']]);
    b.records[2] = record(2, 'z', [['c', '4']]);
    const out: ConsumedRecord[] = [];
    consumedRecords('t', 0, [b], 0n, out);
    expect(out.map((r) => Object.entries(r.headers).map(([k, v]) => `${k}=${v.toString()}`))).toEqual([['a=1'], ['a=2', 'b=3'], ['c=4']]);
  });

  it('takes the batch timestamp of a LogAppendTime batch', () => {
    const out: ConsumedRecord[] = [];
    consumedRecords('t', 0, [{ ...batch(0, ['x']), attributes: 1 << 3 }], 0n, out);
    expect(out[0]!.timestamp).toBe(1_700_000_009_999);
  });
});
