/**
 * Reading a failed @platformatic/kafka send by partition: which partitions
 * the broker wrote, which it refused for their records' own reasons, and
 * which are unknown; any other refusal fails the send whole.
 */
import { MultipleErrors, ResponseError } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { produceOutcomes } from '../../../src/transport/platformatic/produce-results.ts';
import type { OutgoingRecord } from '../../../src/transport/index.ts';

const records: OutgoingRecord[] = Array.from({ length: 6 }, (_, i) => ({ topic: 't', key: null, value: `v${i}` }));
const partitions = [0, 1, 2, 0, 1, 2];

/** The client's failure of a send whose one request got `codes` (partition → error code) back. */
function failed(codes: Array<[number, number]>, producedElsewhere: Array<{ topic: string; partition: number }> = []): Error {
  const response = { responses: [{ name: 't', partitionResponses: codes.map(([index, errorCode]) => ({ index, errorCode, baseOffset: 0n, errorMessage: null })) }] };
  const errors = Object.fromEntries(codes.flatMap(([, code], j) => (code === 0 ? [] : [[`/responses/0/partition_responses/${j}`, [code, null] as [number, null]]])));
  const err = new MultipleErrors('Producing messages failed.', [new ResponseError(0, 11, errors, response)]);
  return Object.assign(err, { produced: { offsets: producedElsewhere.map((p) => ({ ...p, offset: 0n })) } });
}

describe('produce outcomes of @platformatic/kafka', () => {
  it('names the written partitions and the refused one, with its records', () => {
    const outcomes = produceOutcomes(failed([[0, 0], [1, 10], [2, 0]]), records, partitions)!;
    expect(outcomes.map((o) => [o.partition, o.records.map((r) => r.value), o.refused?.context.brokerError])).toEqual([
      [0, ['v0', 'v3'], undefined],
      [1, ['v1', 'v4'], 'MESSAGE_TOO_LARGE'],
      [2, ['v2', 'v5'], undefined],
    ]);
    expect(outcomes[1]!.records[0]).toBe(records[1]);
    expect(outcomes[1]!.refused).toMatchObject({ code: 'SLUICE_ERR_RECORD_REFUSED', message: expect.stringContaining('t[1] refused the record: MESSAGE_TOO_LARGE') });
  });

  it('leaves out partitions of requests that failed otherwise, and counts those another request wrote', () => {
    expect(produceOutcomes(failed([[1, 87]]), records, partitions)!.map((o) => o.partition)).toEqual([1]);
    expect(produceOutcomes(failed([[1, 87]], [{ topic: 't', partition: 2 }]), records, partitions)!.map((o) => [o.partition, o.refused === undefined])).toEqual([
      [1, false],
      [2, true],
    ]);
  });

  it('is no partial refusal when a partition failed for another reason, or none refused records', () => {
    expect(produceOutcomes(failed([[0, 0], [1, 10], [2, 6]]), records, partitions)).toBeUndefined();
    expect(produceOutcomes(failed([[0, 6]]), records, partitions)).toBeUndefined();
    expect(produceOutcomes(new Error('socket hang up'), records, partitions)).toBeUndefined();
  });
});
