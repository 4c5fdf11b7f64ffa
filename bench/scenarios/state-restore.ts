/**
 * Restoring a state store from its changelog, the path a task takes before
 * its first record after a move or a restart (src/runtime/task/restore.ts):
 * a compacted changelog of N keys read into a fresh lmdb copy, against the
 * same partition read alone (the transport's readPartitions, no store) as
 * the baseline; then restart time after 1% more changes, with the local
 * copy's checkpoint (only the tail is read) and without it (all of it).
 *
 *     npx tsx bench/scenarios/state-restore.ts [--quick] [--rounds 3] [--keys 1000000]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/core/index.ts';
import { restoreStore } from '../../src/runtime/task/restore.ts';
import type { TaskStore } from '../../src/runtime/task/task.ts';
import { CachedStore, openBackend } from '../../src/state/index.ts';
import { createTransport } from '../../src/transport/index.ts';
import { scenarioArgs } from '../harness/args.ts';
import { elapsed, startClock } from '../harness/clock.ts';
import { brokers, freshName } from '../harness/kafka.ts';
import { machine } from '../harness/machine.ts';
import { figure, finish, versus } from '../harness/report.ts';
import { alternate } from '../harness/rounds.ts';

const args = scenarioArgs({ keys: { full: 1_000_000, quick: 100_000 } });
const machineInfo = machine();
const transport = createTransport({ brokers: brokers(), clientId: 'bench-state-restore', logger: silentLogger });
const topic = freshName('bench-changelog');
const VALUE = Buffer.alloc(64, 7);

async function writeChanges(from: number, to: number): Promise<void> {
  const producer = await transport.producer({ compression: 'lz4' });
  const batch = 5_000;
  for (let i = from; i < to; i += batch) {
    const records = [];
    for (let j = i; j < Math.min(to, i + batch); j++) records.push({ topic, partition: 0, key: Buffer.from(`\u0001key-${j}`), value: VALUE });
    await producer.send(records);
  }
  await producer.close();
}

async function target(dir: string): Promise<TaskStore> {
  return { name: 'aggregate', store: new CachedStore(await openBackend({ kind: 'lmdb', dir })), changelog: topic, next: 0 };
}

/** Opens the copy in `dir`, restores it (from its checkpoint, if any) and closes it: what a task start costs. */
async function restoreInto(dir: string): Promise<{ seconds: number; restored: number }> {
  const clock = startClock();
  const t = await target(dir);
  const progress = await restoreStore(transport, 0, t, silentLogger, () => undefined);
  await t.store.close();
  return { seconds: elapsed(clock).seconds, restored: progress.restored };
}

await transport.createTopics([{ name: topic, partitions: 1, cleanupPolicy: 'compact' }]);
await writeChanges(0, args.keys);
const scratch = await mkdtemp(join(tmpdir(), 'bench-state-'));
let n = 0;

const rounds = await alternate(
  [
    {
      name: 'restore into lmdb',
      round: async () => {
        const dir = join(scratch, `full-${n++}`);
        const { seconds, restored } = await restoreInto(dir);
        if (restored !== args.keys) throw new Error(`restored ${restored} of ${args.keys}`);
        await rm(dir, { recursive: true, force: true });
        return { recordsPerSecond: restored / seconds };
      },
    },
    {
      name: 'readPartitions alone',
      round: async () => {
        const clock = startClock();
        let read = 0;
        await transport.readPartitions(topic, [{ partition: 0, from: null }], async (records) => {
          read += records.length;
        });
        return { recordsPerSecond: read / elapsed(clock).seconds };
      },
    },
  ],
  { rounds: args.rounds },
);

// Restart: a copy restored once, then 1% more changes in the changelog.
const kept = join(scratch, 'kept');
await restoreInto(kept);
await writeChanges(args.keys, args.keys + Math.ceil(args.keys / 100));
const withCheckpoint = await restoreInto(kept);
const without = await restoreInto(join(scratch, 'fresh'));
await rm(scratch, { recursive: true, force: true });
await transport.close();

finish({
  scenario: 'state-restore',
  title: `restoring a store of ${args.keys.toLocaleString('en')} keys from its changelog`,
  machine: machineInfo,
  quick: args.quick,
  params: { keys: args.keys, valueBytes: VALUE.length, rounds: args.rounds, tail: Math.ceil(args.keys / 100) },
  rows: [
    versus('restore', 'records/s', rounds['restore into lmdb']!.median.recordsPerSecond!, 'readPartitions alone', rounds['readPartitions alone']!.median.recordsPerSecond!),
    figure('restart with a checkpoint (1% tail)', 's', withCheckpoint.seconds),
    figure('restart without a checkpoint (everything)', 's', without.seconds),
    figure('changes read with a checkpoint', 'records', withCheckpoint.restored),
  ],
  rounds,
});
