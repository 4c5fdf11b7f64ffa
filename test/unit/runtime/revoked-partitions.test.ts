/**
 * Records of a partition being given up must stay out of every later
 * transaction of the instance giving it up: their outputs would be committed
 * without their offsets (which belong to the next owner now), and that owner
 * would write them again. Found by the reliability scenario that SIGKILLs
 * exactly-once instances (test/reliability/s1-sigkill.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/index.ts';
import type { Envelope } from '../../../src/runtime/envelope.ts';
import { OffsetTracker } from '../../../src/runtime/offsets.ts';
import { TransactionalSink } from '../../../src/runtime/sinks/transactional.ts';
import type { OutgoingRecord, TransactionOffsets, Transport } from '../../../src/transport/index.ts';

interface Txn {
  id: string;
  records: string[];
  offsets: string[];
}

function fakeTransport(log: Txn[], created: string[]): Transport {
  const transport = {
    transactionalProducer: async (id: string) => {
      created.push(id);
      return {
        transact: async (records: readonly OutgoingRecord[], offsets: readonly TransactionOffsets[]) => {
          log.push({ id, records: records.map((r) => String(r.value)), offsets: offsets.map((o) => o.offset) });
        },
        close: async () => undefined,
      };
    },
  };
  return transport as unknown as Transport;
}

const noDeadLetters = (): never => {
  throw new Error('no record is refused in these tests');
};

function envelope(tracker: OffsetTracker, partition: number, offset: number): Envelope {
  const token = tracker.track('in', partition, BigInt(offset));
  const record = { topic: 'out', key: null, value: `p${partition}@${offset}`, headers: {}, timestamp: 0 };
  return { record, token, origin: { topic: 'in', partition, offset: String(offset), rawKey: null, rawValue: null, rawHeaders: {}, timestamp: 0 } };
}

function write(sink: TransactionalSink, env: Envelope): Promise<void> {
  return new Promise((resolve, reject) => sink.write(env, (err) => (err ? reject(err) : resolve())));
}

describe('OffsetTracker.revoke', () => {
  it('marks the tokens of a partition revoked, and a partition assigned again starts clean', () => {
    const tracker = new OffsetTracker();
    const a = tracker.track('in', 0, 5n);
    const b = tracker.track('in', 1, 5n);
    tracker.revoke('in', 0);
    expect([a.revoked, b.revoked]).toEqual([true, false]);
    tracker.drop('in', 0);
    expect(tracker.track('in', 0, 3n).revoked).toBe(false);
  });
});

describe('TransactionalSink', () => {
  it('commits what it holds for a released partition, then keeps later records of it out of every transaction', async () => {
    const log: Txn[] = [];
    const tracker = new OffsetTracker();
    const sink = new TransactionalSink({ transport: fakeTransport(log, []), tracker, groupId: 'g', idPrefix: 't.n', logger: silentLogger, lingerMs: 60_000, deadLetterOf: noDeadLetters });
    await write(sink, envelope(tracker, 0, 0));
    await write(sink, envelope(tracker, 1, 0));
    const late = envelope(tracker, 0, 1); // read before the revoke, reaching the sink after it

    await sink.release([{ topic: 'in', partitions: [0] }]);
    expect(log).toEqual([{ id: 't.n.in.0', records: ['p0@0'], offsets: ['1'] }]);

    await write(sink, late);
    await sink.flushAll();
    expect(log.slice(1)).toEqual([{ id: 't.n.in.1', records: ['p1@0'], offsets: ['1'] }]);
    expect(late.token!.remaining).toBe(1); // never settled: nothing commits past it
  });

  it('claim opens the producers of arriving partitions before any record (fencing their previous owner)', async () => {
    const created: string[] = [];
    const sink = new TransactionalSink({ transport: fakeTransport([], created), tracker: new OffsetTracker(), groupId: 'g', idPrefix: 't.n', logger: silentLogger, deadLetterOf: noDeadLetters });
    await sink.claim([{ topic: 'in', partitions: [2, 0] }]);
    expect(created).toEqual(['t.n.in.2', 't.n.in.0']);
  });
});
