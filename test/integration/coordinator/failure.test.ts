/**
 * A stage that keeps crashing, in child processes (`isolation: 'process'`):
 * each crash is restarted after a backoff until the crash history gives up;
 * the stage is marked failed with its cause, /health and /ready say so, and
 * the other stage of the topology goes on.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Coordinator } from '../../../src/coordinator/index.ts';
import { uniqueName } from '../harness/kafka.ts';
import { writeTopology } from '../runtime/examples.ts';
import { produce, startCoordinator, stopCoordinator, until } from './helpers.ts';

let coordinator: Coordinator | undefined;

afterAll(() => stopCoordinator(coordinator));

describe('a crashing stage', () => {
  it('is restarted with backoff, then marked failed; /health reports it while the other stage runs on', async () => {
    const file = writeTopology({
      // Ends its process on the first record, as a native crash would: no report, no commit.
      'processors/die.ts': `import { defineProcessor } from 'sluice';
export default defineProcessor<{ id: number }>(() => process.exit(3));`,
      'topology.yaml': `
name: crashy
topics:
  in: { partitions: 1 }
  out: { partitions: 1 }
nodes:
  good: { from: in, to: out }
  bad:
    from: in
    process:
      - map: { module: ./processors/die.ts }
    sink: { stdout: true }
`,
    });
    const namespace = `${uniqueName('crash')}.`;
    coordinator = await startCoordinator(file, namespace, { isolation: 'process', restartPolicy: { initialDelayMs: 100, maxDelayMs: 200, maxCrashes: 2 } });
    const c = coordinator;
    await produce(`${namespace}in`, 0, 5);

    const bad = c.instances('bad')[0]!;
    await until('bad marked failed', () => (bad.state === 'failed' ? true : undefined), 60_000);
    expect(bad.crashes).toBe(2);
    expect(bad.restarts).toBe(1);
    expect(bad.lastError).toBe('exited with code 3 without a report (killed)');

    const health = await fetch(`${c.http!.url}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ ok: false, status: 'failed', failed: [{ stage: 'bad', instance: 0, error: 'exited with code 3 without a report (killed)' }] });
    const ready = await fetch(`${c.http!.url}/ready`);
    expect(ready.status).toBe(503);
    expect((await ready.json()) as unknown).toMatchObject({ ok: false, waiting: ['bad: failed'] });

    const good = c.instances('good')[0]!;
    await until('good wrote all 5', () => (good.counts.written === 5 ? true : undefined));
    expect(good.state).toBe('running');
    const status = await c.refresh();
    expect(status.stages.find((s) => s.stage === 'good')).toMatchObject({ lag: 0, local: { state: 'running', crashes: 0 } });
    expect(status.stages.find((s) => s.stage === 'bad')).toMatchObject({ lag: 5, local: { state: 'failed', crashes: 2 } });
  });
});
