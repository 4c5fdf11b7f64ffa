/**
 * A task manager and an exactly-once sink on a transport that only logs the
 * transactions it is given, for unit tests of what the sink commits when.
 */
import { silentLogger, type Logger } from '../../../src/core/index.ts';
import type { Envelope } from '../../../src/runtime/envelope.ts';
import { TaskManager } from '../../../src/runtime/task/task-manager.ts';
import { TransactionalSink } from '../../../src/runtime/sinks/transactional.ts';
import type { OutgoingRecord, TransactionOffsets, Transport } from '../../../src/transport/index.ts';

export interface Txn {
  id: string;
  records: string[];
  offsets: string[];
}

export interface FakeTransport {
  transport: Transport;
  /** Every transaction made, in order. */
  log: Txn[];
  /** The transactional ids of the producers opened, in order. */
  created: string[];
  /** Holds the next transaction until the returned function is called (it is logged then). */
  holdNext(): () => void;
}

export function fakeTransport(): FakeTransport {
  const log: Txn[] = [];
  const created: string[] = [];
  let hold: Promise<void> | undefined;
  const transport = {
    transactionalProducer: async (id: string) => {
      created.push(id);
      return {
        transact: async (records: readonly OutgoingRecord[], offsets: readonly TransactionOffsets[]) => {
          const held = hold;
          hold = undefined;
          await held;
          log.push({ id, records: records.map((r) => String(r.value)), offsets: offsets.map((o) => o.offset) });
        },
        close: async () => undefined,
      };
    },
  };
  return {
    transport: transport as unknown as Transport,
    log,
    created,
    holdNext: () => {
      let release!: () => void;
      hold = new Promise((resolve) => (release = resolve));
      return release;
    },
  };
}

export function manager(transport: Transport): TaskManager {
  const noStores = (): never => {
    throw new Error('these tasks keep no stores');
  };
  return new TaskManager({ transport, logger: silentLogger, groupId: 'g', idPrefix: 't.n', topics: ['in'], repartitionTopics: [], stores: [], openBackend: noStores, exactlyOnce: true });
}

export function transactionalSink(tasks: TaskManager, options: { lingerMs?: number; logger?: Logger } = {}): TransactionalSink {
  const noDeadLetters = (): never => {
    throw new Error('no record is refused in these tests');
  };
  return new TransactionalSink({ tasks, groupId: 'g', logger: options.logger ?? silentLogger, lingerMs: options.lingerMs ?? 60_000, deadLetterOf: noDeadLetters });
}

/** The record read at `offset` of partition `partition` of `in`, with one output `p<partition>@<offset>`. */
export function envelope(tasks: TaskManager, partition: number, offset: number): Envelope {
  const consumed = { topic: 'in', partition, offset: String(offset), key: null, value: null, headers: {}, timestamp: 0 };
  const task = tasks.task(partition)!;
  const token = tasks.track(task, consumed)!;
  const record = { topic: 'out', key: null, value: `p${partition}@${offset}`, headers: {}, timestamp: 0 };
  return { record, token, task, origin: { topic: 'in', partition, offset: String(offset), rawKey: null, rawValue: null, rawHeaders: {}, timestamp: 0 } };
}

export function write(sink: TransactionalSink, env: Envelope): Promise<void> {
  return new Promise((resolve, reject) => sink.write(env, (err) => (err ? reject(err) : resolve())));
}
