/** Restore progress of state stores: merged per store and partition, in the status table and in Prometheus metrics. */
import { describe, expect, it } from 'vitest';
import { CoordinatorMetrics } from '../../../src/coordinator/metrics.ts';
import { restoreStatus, restoringLines, statusOf, statusTable, type LocalStageStatus, type StoreRestore } from '../../../src/coordinator/index.ts';
import { parsePrometheus, sampleValue } from './prometheus.ts';
import { sample, wordCountPlan } from './fixtures.ts';

function status(restores: StoreRestore[], now: number): LocalStageStatus {
  return { state: 'running', instances: 2, running: 2, restarts: 0, crashes: 0, read: 0, written: 0, deadLettered: 0, retried: 0, restores: restoreStatus(restores, now) };
}

describe('restoreStatus', () => {
  it('keeps the latest restore of each store and partition, with its rate while it runs and 0 once done', () => {
    const merged = restoreStatus(
      [
        { store: 'aggregate', partition: 1, restored: 10, remaining: 0, startedAt: 1_000 },
        { store: 'aggregate', partition: 1, restored: 300, remaining: 700, startedAt: 5_000 },
        { store: 'aggregate', partition: 0, restored: 50, remaining: 0, startedAt: 2_000 },
      ],
      5_500,
    );
    expect(merged).toEqual([
      { store: 'aggregate', partition: 0, restored: 50, remaining: 0, startedAt: 2_000, perSecond: 0 },
      { store: 'aggregate', partition: 1, restored: 300, remaining: 700, startedAt: 5_000, perSecond: 600 },
    ]);
  });
});

describe('restore progress in status and metrics', () => {
  it('prints a restoring line per store and partition still restoring, and none for finished ones', async () => {
    const plan = await wordCountPlan();
    const local = new Map([['count', status([{ store: 'aggregate', partition: 2, restored: 40, remaining: 60, startedAt: 0 }, { store: 'aggregate', partition: 0, restored: 9, remaining: 0, startedAt: 0 }], 1_000)]]);
    const snapshot = statusOf({ plan, sample: sample({ at: 1_000, topics: {} }), local }, 'kafka');
    expect(restoringLines(snapshot)).toEqual(['restoring count aggregate partition 2: 40 restored, 60 to go (40.0/s)']);
    expect(statusTable(snapshot)).toContain('\nrestoring count aggregate partition 2: 40 restored, 60 to go (40.0/s)\n');
  });

  it('exports records restored (a counter that survives a new restore of the partition), records remaining and the rate', async () => {
    let restores: StoreRestore[] = [{ store: 'aggregate', partition: 1, restored: 300, remaining: 700, startedAt: 0 }];
    const metrics = new CoordinatorMetrics('word-count', () => new Map([['count', status(restores, 1_000)]]));
    const read = async () => parsePrometheus(await metrics.text());
    const labels = { node: 'count', store: 'aggregate', partition: '1' };

    let families = await read();
    expect(families.find((f) => f.name === 'sluice_restore_records_total')?.type).toBe('COUNTER');
    expect(sampleValue(families, 'sluice_restore_records_total', labels)).toBe(300);
    expect(sampleValue(families, 'sluice_restore_remaining_records', labels)).toBe(700);
    expect(sampleValue(families, 'sluice_restore_records_per_second', labels)).toBe(300);

    restores = [{ store: 'aggregate', partition: 1, restored: 1_000, remaining: 0, startedAt: 0 }];
    families = await read();
    expect(sampleValue(families, 'sluice_restore_records_total', labels)).toBe(1_000);
    expect(sampleValue(families, 'sluice_restore_remaining_records', labels)).toBe(0);
    expect(sampleValue(families, 'sluice_restore_records_per_second', labels)).toBe(0);

    // The partition restored again (after a rebalance): the counter adds the new restore's records.
    restores = [{ store: 'aggregate', partition: 1, restored: 20, remaining: 5, startedAt: 900 }];
    families = await read();
    expect(sampleValue(families, 'sluice_restore_records_total', labels)).toBe(1_020);
    expect(sampleValue(families, 'sluice_restore_remaining_records', labels)).toBe(5);
  });
});
