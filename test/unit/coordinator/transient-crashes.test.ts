/**
 * A stage instance that crashes because the cluster was away (broker
 * unavailable, a transaction aborted by it, fenced by a newer owner) is
 * restarted for as long as it takes, within a short backoff; other crashes
 * still end in `failed` after `maxCrashes`. Found by the broker kill/restart
 * scenario (test/reliability/s3-broker.test.ts), where a restart longer than
 * the backoff ladder ended the pipeline.
 */
import { describe, expect, it } from 'vitest';
import { CrashHistory, TRANSIENT_CRASH_CODES, defaultRestartPolicy } from '../../../src/coordinator/restart.ts';

describe('CrashHistory with transient crashes', () => {
  it('never gives up on them, and waits at most 5 s between restarts', () => {
    const history = new CrashHistory(defaultRestartPolicy, () => 1);
    for (let i = 0; i < 50; i++) {
      const d = history.record(1_000 * i, true);
      expect(d.action).toBe('restart');
      if (d.action === 'restart') expect(d.delayMs).toBeLessThanOrEqual(5_000);
    }
  });

  it('still fails after maxCrashes other crashes, transient ones in between or not', () => {
    const history = new CrashHistory(defaultRestartPolicy, () => 0);
    const decisions = [false, true, false, true, false, false, false].map((transient, i) => history.record(i, transient).action);
    expect(decisions).toEqual(['restart', 'restart', 'restart', 'restart', 'restart', 'restart', 'fail']);
  });

  it('counts the cluster-away codes as transient, and a processor error not', () => {
    expect([...TRANSIENT_CRASH_CODES].sort()).toEqual([
      'SLUICE_ERR_BROKER_UNAVAILABLE',
      'SLUICE_ERR_PRODUCER_FENCED',
      'SLUICE_ERR_TIMEOUT',
      'SLUICE_ERR_TRANSACTION_ABORTED',
    ]);
    expect(TRANSIENT_CRASH_CODES.has('SLUICE_ERR_PROCESSOR')).toBe(false);
  });
});
