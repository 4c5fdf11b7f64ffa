/**
 * The Transport contract, written once and run against every transport
 * (embedded.test.ts; kafka.test.ts for kafkajs and platformatic.test.ts for
 * @platformatic/kafka, which add kafka-contract.ts): ordering, key placement,
 * committed offsets across restarts, group rebalances, commits refused for
 * partitions given up, bounded buffering that survives rebalances, refused
 * partitions, transactions with fencing, and records deleted before an offset.
 */
import { describe, expect, it as vitestIt } from 'vitest';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type ClusterAdmin,
  createSourceStream,
  partitionForKey,
  type ConsumedRecord,
  type Consumer,
  type ConsumerOptions,
  type ProducerOptions,
  type SourceStream,
  type TopicPartitions,
  type Transport,
} from '../../../src/transport/index.ts';

export interface ContractTarget {
  /** A fresh transport for one test; the test closes it. */
  transport(): Transport;
  /** The monitoring reads of the same cluster (group members, committed offsets); the test closes it. */
  admin(): ClusterAdmin;
  /**
   * Tests this transport is known to fail, each with the reason: they run as
   * `it.fails`, so fixing the transport turns them red until they are taken off.
   */
  knownGaps?: Record<string, string>;
  /** Options for every producer the contract makes. */
  producer?: ProducerOptions;
}

export function uniq(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export async function newTopic(transport: Transport, partitions: number): Promise<string> {
  const name = uniq('contract');
  await transport.createTopics([{ name, partitions }]);
  return name;
}

/** Reads `count` records from the stream, or until `enough` says so. */
export async function take(
  stream: SourceStream,
  count: number,
  onRecord: (r: ConsumedRecord) => void | Promise<void> = () => {},
  enough: (records: ConsumedRecord[]) => boolean = (records) => records.length >= count,
): Promise<ConsumedRecord[]> {
  const out: ConsumedRecord[] = [];
  if (enough(out)) return out;
  for await (const record of stream.iterator({ destroyOnReturn: false }) as AsyncIterable<ConsumedRecord>) {
    out.push(record);
    await onRecord(record);
    if (enough(out)) break;
  }
  return out;
}

export async function join(
  transport: Transport,
  options: ConsumerOptions,
  maxBuffered?: number,
): Promise<{ consumer: Consumer; stream: SourceStream }> {
  const consumer = await transport.consumer(options);
  const stream = await createSourceStream(consumer, maxBuffered === undefined ? {} : { maxBuffered });
  return { consumer, stream };
}

export function owned(parts: TopicPartitions[]): number {
  return parts.reduce((n, p) => n + p.partitions.length, 0);
}

/** Resolves once `predicate` holds, checking after each event-loop turn (no time assertions). */
export async function until(predicate: () => boolean, what: string, turns = 600): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (predicate()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting: ${what}`);
}

/** `until` for a condition that has to be asked for. */
export async function eventually(predicate: () => Promise<boolean>, what: string, tries = 300): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting: ${what}`);
}

function produced(topic: string, count: number, keys: number): { topic: string; key: string; value: string }[] {
  return Array.from({ length: count }, (_, i) => ({ topic, key: `k${i % keys}`, value: String(i) }));
}

export function transportContract(name: string, target: ContractTarget): void {
  async function withTransport(test: (transport: Transport) => Promise<void>): Promise<void> {
    const transport = target.transport();
    try {
      await test(transport);
    } finally {
      await transport.close();
    }
  }

  /** `it`, or `it.fails` for a test of `knownGaps`. */
  const it = (title: string, test: () => Promise<void>): void => {
    if (target.knownGaps?.[title] !== undefined) vitestIt.fails(`${title} [known gap: ${target.knownGaps[title]}]`, test);
    else vitestIt(title, test);
  };

  describe(`Transport contract: ${name}`, () => {
    it('delivers every record once, in offset order per partition, keys on the partition murmur2 names', () =>
      withTransport(async (transport) => {
        const topic = await newTopic(transport, 3);
        const producer = await transport.producer(target.producer);
        await producer.send(produced(topic, 3_000, 37));
        expect(producer.acknowledged).toBe(3_000);
        const { consumer, stream } = await join(transport, { groupId: uniq('g'), topics: [topic], fromBeginning: true });
        const records = await take(stream, 3_000);
        await consumer.disconnect();

        expect(records).toHaveLength(3_000);
        const values = records.map((r) => Number(r.value!.toString()));
        expect(new Set(values).size).toBe(3_000);
        const lastOffset = new Map<number, bigint>();
        const lastValueOfKey = new Map<string, number>();
        for (const r of records) {
          const key = r.key!.toString();
          expect(r.partition, `key ${key}`).toBe(partitionForKey(key, 3));
          const offset = BigInt(r.offset);
          expect(offset > (lastOffset.get(r.partition) ?? -1n)).toBe(true);
          lastOffset.set(r.partition, offset);
          const value = Number(r.value!.toString());
          expect(value > (lastValueOfKey.get(key) ?? -1)).toBe(true);
          lastValueOfKey.set(key, value);
        }
        const ends = await consumer.endOffsets(topic);
        expect(ends.reduce((n, e) => n + Number(e.offset), 0)).toBe(3_000);
      }));

    it('spreads keyless records over all partitions and keeps headers and timestamps', () =>
      withTransport(async (transport) => {
        const topic = await newTopic(transport, 3);
        const producer = await transport.producer(target.producer);
        await producer.send(
          Array.from({ length: 30 }, (_, i) => ({
            topic,
            key: null,
            value: Buffer.from([i]),
            headers: { 'sluice-codec': 'avro', n: String(i) },
            timestamp: 1_700_000_000_000 + i,
          })),
        );
        const { consumer, stream } = await join(transport, { groupId: uniq('g'), topics: [topic], fromBeginning: true });
        const records = await take(stream, 30);
        await consumer.disconnect();
        expect(new Set(records.map((r) => r.partition)).size).toBe(3);
        for (const r of records) {
          const i = r.value![0]!;
          expect(r.key).toBeNull();
          expect(r.headers['sluice-codec']!.toString()).toBe('avro');
          expect(r.headers.n!.toString()).toBe(String(i));
          expect(r.timestamp).toBe(1_700_000_000_000 + i);
        }
      }));

    it('resumes a group from its committed offset after a restart', () =>
      withTransport(async (transport) => {
        const topic = await newTopic(transport, 1);
        const groupId = uniq('g');
        const producer = await transport.producer(target.producer);
        await producer.send(produced(topic, 100, 1));

        const first = await join(transport, { groupId, topics: [topic], fromBeginning: true });
        const read = await take(first.stream, 40);
        expect(read.map((r) => r.offset)).toEqual(Array.from({ length: 40 }, (_, i) => String(i)));
        expect(await first.consumer.commit([{ topic, partition: 0, offset: '40' }])).toEqual([true]);
        await first.consumer.disconnect();
        expect(await first.consumer.committedOffsets(topic)).toEqual([{ partition: 0, offset: '40' }]);

        const second = await join(transport, { groupId, topics: [topic], fromBeginning: true });
        const rest = await take(second.stream, 60);
        await second.consumer.disconnect();
        expect(rest.map((r) => r.offset)).toEqual(Array.from({ length: 60 }, (_, i) => String(40 + i)));
      }));

    it('deletes records before an offset: the log start moves there, and no reader gets what was before it again', () =>
      withTransport(async (transport) => {
        const topic = await newTopic(transport, 2);
        const producer = await transport.producer(target.producer);
        await producer.send([0, 1].flatMap((partition) => Array.from({ length: 10 }, (_, i) => ({ topic, key: null, value: String(i), partition }))));
        const groupId = uniq('g');
        const first = await join(transport, { groupId, topics: [topic], fromBeginning: true });
        await take(first.stream, 20);
        // Partition 1 is done, so the second member below reads partition 0 only.
        expect(await first.consumer.commit([{ topic, partition: 0, offset: '2' }, { topic, partition: 1, offset: '10' }])).toEqual([true, true]);
        await first.consumer.disconnect();

        await transport.deleteRecordsBefore(topic, [{ partition: 0, offset: '6' }]);
        // Below the start already: nothing more goes.
        await transport.deleteRecordsBefore(topic, [{ partition: 0, offset: '4' }]);
        const admin = target.admin();
        try {
          expect((await admin.topicOffsets([topic])).get(topic)).toEqual([
            { partition: 0, low: '6', high: '10' },
            { partition: 1, low: '0', high: '10' },
          ]);
        } finally {
          await admin.close();
        }

        // The group's committed offset 2 is gone from the log: it resumes from the start, as `fromBeginning` says.
        const second = await join(transport, { groupId, topics: [topic], fromBeginning: true });
        const again = await take(second.stream, 4);
        await second.consumer.disconnect();
        expect(again.map((r) => [r.partition, r.offset])).toEqual([[0, '6'], [0, '7'], [0, '8'], [0, '9']]);

        const restored: ConsumedRecord[] = [];
        const ends = await transport.readPartitions(topic, [{ partition: 0, from: null }, { partition: 1, from: '8' }], async (records) => void restored.push(...records));
        const restoredOf = (partition: number) => restored.filter((r) => r.partition === partition).map((r) => r.offset);
        expect([restoredOf(0), restoredOf(1)]).toEqual([['6', '7', '8', '9'], ['8', '9']]);
        expect(ends.sort((a, b) => a.partition - b.partition)).toEqual([{ partition: 0, end: '10', outOfRange: false }, { partition: 1, end: '10', outOfRange: false }]);
        expect(await transport.readPartitions(topic, [{ partition: 0, from: '3' }], async () => undefined)).toEqual([{ partition: 0, end: '10', outOfRange: true }]);
      }));

    it('seeks: delivery restarts at the offset and what was buffered of that partition is dropped', () =>
      withTransport(async (transport) => {
        const topic = await newTopic(transport, 1);
        const producer = await transport.producer(target.producer);
        await producer.send(produced(topic, 20, 1));
        const { consumer, stream } = await join(transport, { groupId: uniq('g'), topics: [topic], fromBeginning: true });
        const first = await take(stream, 5);
        await until(() => stream.buffered === 15, 'the rest is buffered');
        consumer.seek(topic, 0, '2');
        expect(stream.buffered).toBe(0);
        const again = await take(stream, 18);
        expect([...first, ...again].map((r) => Number(r.offset))).toEqual([0, 1, 2, 3, 4, ...Array.from({ length: 18 }, (_, i) => 2 + i)]);
        expect(() => consumer.seek(topic, 3, '0')).toThrow(expect.objectContaining({ code: 'SLUICE_ERR_CONSUME' }));
        await consumer.disconnect();
      }));

    it('splits partitions between two members and gives all to the one left, losing nothing', () =>
      withTransport(async (transport) => {
        const topic = await newTopic(transport, 4);
        const groupId = uniq('g');
        const producer = await transport.producer(target.producer);
        await producer.send(produced(topic, 400, 97));

        // Each member commits, as the runtime would, the offset after what it read.
        const done = new Map<string, Map<number, string>>([['a', new Map()], ['b', new Map()]]);
        const member = (name: string): ConsumerOptions => ({
          groupId,
          topics: [topic],
          fromBeginning: true,
          onRevoke: async (parts) => {
            for (const { partitions } of parts) {
              for (const p of partitions) {
                const next = done.get(name)!.get(p);
                if (next !== undefined) await members.get(name)!.consumer.commit([{ topic, partition: p, offset: next }]);
                done.get(name)!.delete(p);
              }
            }
          },
        });
        const members = new Map<string, { consumer: Consumer; stream: SourceStream }>();
        members.set('a', await join(transport, member('a')));
        members.set('b', await join(transport, member('b')));
        const a = members.get('a')!;
        const b = members.get('b')!;
        await until(() => owned(a.consumer.assignment()) === 2 && owned(b.consumer.assignment()) === 2, 'a 2/2 split');
        const aParts = a.consumer.assignment()[0]!.partitions;
        const bParts = b.consumer.assignment()[0]!.partitions;
        expect([...aParts, ...bParts].sort()).toEqual([0, 1, 2, 3]);

        const record = (name: string) => (r: ConsumedRecord): void => {
          done.get(name)!.set(r.partition, (BigInt(r.offset) + 1n).toString());
        };
        const endOf = await a.consumer.endOffsets(topic);
        const inA = aParts.reduce((n, p) => n + Number(endOf[p]!.offset), 0);
        // a reads part of its share, then leaves; b must end up with the rest.
        const readByA = await take(a.stream, Math.floor(inA / 2), record('a'));
        await a.consumer.disconnect();
        await until(() => owned(b.consumer.assignment()) === 4, 'b owns all four');
        // One record may have sat in a's Readable buffer when its partition was
        // revoked (see types.ts): b reads it again, so count distinct records.
        const seen = new Set(readByA.map((r) => `${r.partition}@${r.offset}`));
        const readByB = await take(b.stream, 0, (r) => void seen.add(`${r.partition}@${r.offset}`), () => seen.size === 400);
        await b.consumer.disconnect();
        expect(seen.size).toBe(400);
        // a gave up its partitions having committed what it read: b reads at most that one record again.
        expect(readByA.length + readByB.length - 400).toBeLessThanOrEqual(1);
        expect(readByA.filter((r) => !aParts.includes(r.partition)).length).toBeLessThanOrEqual(1);
      }));

    it('an abandoned member leaves its group at once without onRevoke: the next one gets its partitions well within the session timeout', () =>
      withTransport(async (transport) => {
        const topic = await newTopic(transport, 2);
        await (await transport.producer(target.producer)).send(produced(topic, 20, 7));
        let revoked = false;
        const options: ConsumerOptions = { groupId: uniq('g'), topics: [topic], fromBeginning: true, sessionTimeoutMs: 30_000 };
        const a = await join(transport, { ...options, onRevoke: () => void (revoked = true) });
        await take(a.stream, 5);
        await a.consumer.abandon();
        const b = await join(transport, options);
        // A member that had not left would hold the next one's join for the 30 s session timeout.
        await until(() => owned(b.consumer.assignment()) === 2, 'b owns both partitions', 100);
        await b.consumer.disconnect();
        expect(revoked).toBe(false);
      }));

    it('a member that stays through a rebalance commits what it finished before its partitions move: their next owner reads none of it again', () =>
      withTransport(async (transport) => {
        const topic = await newTopic(transport, 2);
        const producer = await transport.producer(target.producer);
        await producer.send(Array.from({ length: 200 }, (_, i) => ({ topic, key: null, value: String(i), partition: i % 2 })));
        const groupId = uniq('g');
        const done = new Map<number, string>();
        // As the runtime does: commit what is finished once the rebalance is known, after the work
        // in flight then has taken a while to finish; and in onRevoke, for a transport that calls only that.
        const commitDone = async (): Promise<void> => {
          await sleep(500);
          await a.consumer.commit([...done].map(([partition, offset]) => ({ topic, partition, offset })));
        };
        const a = await join(transport, { groupId, topics: [topic], fromBeginning: true, beforeRejoin: commitDone, onRevoke: commitDone });
        for (const r of await take(a.stream, 200)) done.set(r.partition, (BigInt(r.offset) + 1n).toString());
        const b = await join(transport, { groupId, topics: [topic], fromBeginning: true });
        await until(() => owned(b.consumer.assignment()) === 1, 'b gets one partition');
        const moved = b.consumer.assignment()[0]!.partitions[0]!;
        await producer.send([{ topic, key: null, value: 'after', partition: moved }]);
        const [first] = await take(b.stream, 1);
        await b.consumer.disconnect();
        await a.consumer.disconnect();
        expect(first).toMatchObject({ partition: moved, offset: '100', value: Buffer.from('after') });
      }));

    it('a full source through a rebalance: the partition it keeps is delivered on without a gap or a repeat, the one it gives up is read whole by the next owner', () =>
      withTransport(async (transport) => {
        const topic = await newTopic(transport, 2);
        const producer = await transport.producer(target.producer);
        await producer.send(Array.from({ length: 200 }, (_, i) => ({ topic, key: null, value: String(i), partition: i % 2 })));
        const groupId = uniq('g');
        // What waits in a's buffer when the group rebalances may be taken back and fetched again: never lost, never twice.
        const a = await join(transport, { groupId, topics: [topic], fromBeginning: true, beforeRejoin: async () => {} }, 10);
        await until(() => a.stream.buffered === 10, 'a fills its buffer');
        const readByA = await take(a.stream, 5);
        const b = await join(transport, { groupId, topics: [topic], fromBeginning: true });
        await until(() => owned(b.consumer.assignment()) === 1 && owned(a.consumer.assignment()) === 1, 'a and b own one partition each');
        const kept = a.consumer.assignment()[0]!.partitions[0]!;
        const moved = b.consumer.assignment()[0]!.partitions[0]!;
        const ofKept = (records: ConsumedRecord[]) => records.filter((r) => r.partition === kept).length;
        readByA.push(...(await take(a.stream, 0, () => {}, (records) => ofKept(records) + ofKept(readByA) >= 100)));
        const readByB = await take(b.stream, 100);
        await b.consumer.disconnect();
        await a.consumer.disconnect();
        const offsetsOf = (records: ConsumedRecord[], partition: number) => records.filter((r) => r.partition === partition).map((r) => Number(r.offset));
        const all = Array.from({ length: 100 }, (_, i) => i);
        expect(offsetsOf(readByA, kept)).toEqual(all);
        // Nothing was committed: the next owner reads the moved partition from its start.
        expect(offsetsOf(readByB, moved)).toEqual(all);
      }));

    it("leaves a transaction's marker in each partition it wrote: offsets skip it, the end is past it, positions pass it", () =>
      withTransport(async (transport) => {
        const topic = await newTopic(transport, 2);
        const txn = await transport.transactionalProducer(uniq('txn'));
        const to = (partition: number, value: string) => ({ topic, key: null, value, partition });
        await txn.transact([to(0, 'a'), to(0, 'b'), to(0, 'c'), to(1, 'd'), to(1, 'e')], []);
        await txn.transact([to(0, 'f')], []);
        await txn.close();
        const groupId = uniq('g');
        const first = await join(transport, { groupId, topics: [topic], fromBeginning: true });
        const records = await take(first.stream, 6);
        const offsets = (p: number) => records.filter((r) => r.partition === p).map((r) => [r.offset, r.value!.toString()]);
        expect(offsets(0)).toEqual([['0', 'a'], ['1', 'b'], ['2', 'c'], ['4', 'f']]);
        expect(offsets(1)).toEqual([['0', 'd'], ['1', 'e']]);
        expect(await first.consumer.endOffsets(topic)).toEqual([{ partition: 0, offset: '6' }, { partition: 1, offset: '3' }]);
        await until(() => first.consumer.position(topic, 0)?.next === '6' && first.consumer.position(topic, 1)?.next === '3', 'positions past the markers');
        expect(first.consumer.position(topic, 0)).toEqual({ lastDelivered: '4', next: '6' });
        expect(first.consumer.position(topic, 1)).toEqual({ lastDelivered: '1', next: '3' });
        // Committed one past the last record, where a marker sits: the group's next member reads nothing, yet passes it.
        expect(await first.consumer.commit([{ topic, partition: 0, offset: '5' }, { topic, partition: 1, offset: '2' }])).toEqual([true, true]);
        await first.consumer.disconnect();
        const second = await join(transport, { groupId, topics: [topic], fromBeginning: true });
        await until(() => second.consumer.position(topic, 0)?.next === '6' && second.consumer.position(topic, 1)?.next === '3', 'a member starting at a marker passes it');
        expect(second.consumer.position(topic, 0)).toEqual({ lastDelivered: null, next: '6' });
        expect(second.stream.buffered).toBe(0);
        await second.consumer.disconnect();
      }));

    it('refuses commits for partitions given up and delivers no more of their records', () =>
      withTransport(async (transport) => {
        const topic = await newTopic(transport, 2);
        const producer = await transport.producer(target.producer);
        await producer.send(Array.from({ length: 200 }, (_, i) => ({ topic, key: null, value: String(i), partition: i % 2 })));
        const groupId = uniq('g');
        const revoked: number[] = [];
        // a holds both partitions and a small buffer, so it is paused when b arrives.
        const a = await join(
          transport,
          { groupId, topics: [topic], fromBeginning: true, onRevoke: (parts) => void revoked.push(...parts.flatMap((p) => p.partitions)) },
          10,
        );
        await until(() => a.stream.buffered === 10, 'a fills its buffer');
        await take(a.stream, 1);
        const b = await join(transport, { groupId, topics: [topic], fromBeginning: true });
        await until(() => owned(a.consumer.assignment()) === 1 && revoked.length === 1, 'a loses one partition');
        const lost = revoked[0]!;
        const kept = a.consumer.assignment()[0]!.partitions[0]!;

        // One request for both: the partition given up is refused on its own, the kept one is stored.
        expect(await a.consumer.commit([{ topic, partition: lost, offset: '50' }, { topic, partition: kept, offset: '1' }])).toEqual([false, true]);
        const committed = await a.consumer.committedOffsets(topic);
        expect(committed.find((c) => c.partition === lost)?.offset).toBeNull();
        expect(committed.find((c) => c.partition === kept)?.offset).toBe('1');

        expect(a.stream.buffered).toBeLessThanOrEqual(10);
        const later = await take(a.stream, 60);
        // Only a record already in the stream's Readable buffer (at most one) may belong to the lost partition.
        expect(later.slice(1).every((r) => r.partition === kept)).toBe(true);
        await b.consumer.disconnect();
        await a.consumer.disconnect();
      }));

    it('a full source keeps its member, partitions and bound through two rebalances, then delivers every record once in order', () =>
      withTransport(async (transport) => {
        const topic = await newTopic(transport, 2);
        const other = await newTopic(transport, 1);
        const producer = await transport.producer(target.producer);
        await producer.send(Array.from({ length: 200 }, (_, i) => ({ topic, key: null, value: String(i), partition: i % 2 })));
        const groupId = uniq('g');
        const admin = target.admin();
        try {
          const members = async () => (await admin.describeGroups([groupId]))[0]!.members.map((m) => m.memberId);
          const a = await join(transport, { groupId, topics: [topic], fromBeginning: true }, 10);
          await until(() => a.stream.buffered === 10, 'a fills its buffer');
          // Still above half the bound after this: the source stays full and its consumer paused.
          const first = await take(a.stream, 3);
          const before = await members();
          expect(before).toHaveLength(1);
          // b joins the same group for another topic: the group rebalances twice (b in, b out) and a,
          // paused all along, keeps both partitions of its topic.
          const b = await join(transport, { groupId, topics: [other], fromBeginning: true });
          await until(() => owned(b.consumer.assignment()) === 1, 'b gets its topic', 150);
          expect(owned(a.consumer.assignment())).toBe(2);
          expect(a.stream.buffered).toBeLessThanOrEqual(10);
          await b.consumer.disconnect();
          await eventually(async () => (await members()).length === 1, 'b has left the group');
          expect(await members()).toEqual(before);
          expect(a.stream.buffered).toBeLessThanOrEqual(10);
          expect(owned(a.consumer.assignment())).toBe(2);

          const rest = await take(a.stream, 197);
          await a.consumer.disconnect();
          const all = [...first, ...rest];
          for (const p of [0, 1]) {
            expect(all.filter((r) => r.partition === p).map((r) => Number(r.offset))).toEqual(Array.from({ length: 100 }, (_, i) => i));
          }
        } finally {
          await admin.close();
        }
      }));

    it('refuses a record for a partition that does not exist and writes none of its batch', () =>
      withTransport(async (transport) => {
        const topic = await newTopic(transport, 2);
        const producer = await transport.producer(target.producer);
        await expect(
          producer.send([
            { topic, key: null, value: 'ok', partition: 0 },
            { topic, key: null, value: 'bad', partition: 7 },
          ]),
        ).rejects.toMatchObject({ code: 'SLUICE_ERR_PRODUCE', context: { topic, partition: 7, index: 1 } });
        expect(producer.acknowledged).toBe(0);
        // A batching producer reports the failure again at the next flush (see batcher.ts); nothing else may fail it.
        await producer.flush().catch((err: unknown) => expect(err).toMatchObject({ code: 'SLUICE_ERR_PRODUCE', context: { partition: 7 } }));
        const { consumer } = await join(transport, { groupId: uniq('g'), topics: [topic], fromBeginning: true });
        expect((await consumer.endOffsets(topic)).map((e) => e.offset)).toEqual(['0', '0']);
        await consumer.disconnect();
      }));

    it('commits records and offsets in one transaction; a newer producer with the same id fences the older one', () =>
      withTransport(async (transport) => {
        const input = await newTopic(transport, 1);
        const output = await newTopic(transport, 1);
        const groupId = uniq('g');
        const id = uniq('txn');
        const admin = target.admin();
        try {
          const old = await transport.transactionalProducer(id, target.producer);
          await old.transact([{ topic: output, key: 'k', value: 'one' }], [{ groupId, topic: input, partition: 0, offset: '5' }]);
          const current = await transport.transactionalProducer(id, target.producer);
          await expect(
            old.transact([{ topic: output, key: 'k', value: 'zombie' }], [{ groupId, topic: input, partition: 0, offset: '9' }]),
          ).rejects.toMatchObject({ code: 'SLUICE_ERR_PRODUCER_FENCED' });
          await current.transact([{ topic: output, key: 'k', value: 'two' }], [{ groupId, topic: input, partition: 0, offset: '7' }]);
          await old.close();
          await current.close();
          expect((await admin.committedOffsets(groupId, [input])).get(input)).toEqual([{ partition: 0, offset: '7' }]);

          // A plain record after them: reading up to it shows everything committed before it.
          const producer = await transport.producer(target.producer);
          await producer.send([{ topic: output, key: 'k', value: 'end' }]);
          const { consumer, stream } = await join(transport, { groupId: uniq('g'), topics: [output], fromBeginning: true, readCommitted: true });
          const values: string[] = [];
          await take(stream, 0, (r) => void values.push(r.value!.toString()), () => values.at(-1) === 'end');
          await consumer.disconnect();
          expect(values).toEqual(['one', 'two', 'end']);
        } finally {
          await admin.close();
        }
      }));

    it('keeps at most maxBuffered records in the source while 50,000 wait for a slow reader', () =>
      withTransport(async (transport) => {
        const topic = await newTopic(transport, 2);
        const producer = await transport.producer(target.producer);
        const total = 50_000;
        for (let i = 0; i < total; i += 5_000) {
          await producer.send(produced(topic, 5_000, 11).map((r, j) => ({ ...r, value: String(i + j) })));
        }
        const bound = 500;
        const { consumer, stream } = await join(transport, { groupId: uniq('g'), topics: [topic], fromBeginning: true }, bound);
        let most = 0;
        const records = await take(stream, total, async (_r) => {
          most = Math.max(most, stream.buffered);
          // A slow reader: let the consumer run between reads.
          if (Math.random() < 0.01) await new Promise((r) => setTimeout(r, 5));
        });
        await consumer.disconnect();
        expect(records).toHaveLength(total);
        expect(new Set(records.map((r) => `${r.partition}@${r.offset}`)).size).toBe(total);
        expect(most).toBeLessThanOrEqual(bound);
        // The buffer really filled, so the bound was tested, not just never reached.
        expect(most).toBeGreaterThan(bound / 2);
      }));
  });
}
