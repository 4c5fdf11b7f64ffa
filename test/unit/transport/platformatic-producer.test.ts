/**
 * Records → the messages @platformatic/kafka sends: each placed on its
 * partition by sluice's partitioner over the bytes the message carries, with
 * its headers as a Map of bytes.
 */
import { describe, expect, it } from 'vitest';
import { createPartitioner, partitionForKey } from '../../../src/transport/partitioner.ts';
import { partitionsOf, placeRecords } from '../../../src/transport/platformatic/producer.ts';
import type { OutgoingRecord } from '../../../src/transport/index.ts';

const client = {
  metadata: async () => ({ topics: new Map([['t', { partitionsCount: 7 }]]) }),
} as unknown as Parameters<typeof placeRecords>[0];

const place = (records: OutgoingRecord[]) => placeRecords(client, records, createPartitioner());

describe('placeRecords', () => {
  it('places a string key where its UTF-8 bytes go, and sends those bytes', async () => {
    const messages = await place([
      { topic: 't', key: 'wörd', value: 'v' },
      { topic: 't', key: Buffer.from('wörd'), value: null, partition: 2 },
    ]);
    expect(messages[0]!.key).toEqual(Buffer.from('wörd'));
    expect(messages[0]!.value).toEqual(Buffer.from('v'));
    expect(partitionsOf(messages)).toEqual([partitionForKey(Buffer.from('wörd'), 7), 2]);
  });

  it('makes one Map for a frozen header object, and reads an unfrozen one afresh each time', async () => {
    const frozen = Object.freeze({ 'sluice.codec': Buffer.from('json') });
    const open: Record<string, Buffer | string> = { n: '1' };
    const first = await place([{ topic: 't', key: null, value: null, headers: frozen }, { topic: 't', key: null, value: null, headers: open }]);
    open.n = '2';
    const second = await place([{ topic: 't', key: null, value: null, headers: frozen }, { topic: 't', key: null, value: null, headers: open }]);
    expect(second[0]!.headers).toBe(first[0]!.headers);
    expect([...(second[0]!.headers as Map<Buffer, Buffer>)].map(([k, v]) => `${k}=${v}`)).toEqual(['sluice.codec=json']);
    expect([...(second[1]!.headers as Map<Buffer, Buffer>)].map(([k, v]) => `${k}=${v}`)).toEqual(['n=2']);
  });

  it('refuses a partition the topic does not have', async () => {
    await expect(place([{ topic: 't', key: null, value: null, partition: 7 }])).rejects.toThrow(/partition 7 does not exist/);
  });
});
