/**
 * Triggers on the real broker: a cron node (every 3 s, croner's seconds
 * field) runs, catches up with its input and stops, twice; a node with a
 * yearly cron runs now through `sluice trigger` and the coordinator's HTTP
 * endpoint, and refuses a second trigger while it runs. The coordinator has a
 * token: `sluice trigger` sends it from SLUICE_TOKEN, and is refused without.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Coordinator } from '../../../src/coordinator/index.ts';
import { runCli } from '../../unit/cli/cli-harness.ts';
import { uniqueName } from '../harness/kafka.ts';
import { writeTopology } from '../runtime/examples.ts';
import { produce, startCoordinator, stopCoordinator, until } from './helpers.ts';

const yaml = `
name: batches
topics:
  in: { partitions: 2 }
  out: { partitions: 2 }
  asked: { partitions: 1 }
  answered: { partitions: 1 }
nodes:
  sweep:
    from: in
    to: out
    trigger: { cron: "*/3 * * * * *" }
  manual:
    from: asked
    to: answered
    trigger: { cron: "0 0 1 1 *" }
`;

let coordinator: Coordinator | undefined;
const TOKEN = `t-${randomUUID()}`;

afterAll(() => stopCoordinator(coordinator));
afterEach(() => {
  delete process.env.SLUICE_TOKEN;
});

describe('triggers', () => {
  it('runs a cron node until caught up, then stops, at two ticks; runs a node on demand and refuses a second trigger meanwhile', async () => {
    const file = writeTopology({ 'topology.yaml': yaml });
    const namespace = `${uniqueName('cron')}.`;
    coordinator = await startCoordinator(file, namespace, { http: { port: 0, token: TOKEN } });
    const c = coordinator;
    const sweep = () => c.instances('sweep')[0]!;

    // Nothing runs before the first tick: the manual node stays idle throughout.
    expect(sweep().state).toBe('idle');
    await produce(`${namespace}in`, 0, 100);

    const states: string[] = [];
    const record = () => {
      const state = sweep().state;
      if (states[states.length - 1] !== state) states.push(state);
    };
    const watch = setInterval(record, 20);
    try {
      await until('first run caught up and idle', () => (sweep().counts.written >= 100 && sweep().state === 'idle' ? true : undefined), 30_000, 50);
      expect(sweep().counts).toMatchObject({ read: 100, written: 100 });
      const group = (await c.refresh()).stages.find((s) => s.stage === 'sweep')!;
      expect(group).toMatchObject({ lag: 0, members: [] }); // it left its group: stopped, not idling in it

      await produce(`${namespace}in`, 100, 250);
      await until('second run caught up and idle', () => (sweep().counts.written >= 250 && sweep().state === 'idle' ? true : undefined), 30_000, 50);
    } finally {
      clearInterval(watch);
      record();
    }
    expect(sweep().counts).toMatchObject({ read: 250, written: 250 });
    expect(sweep().crashes).toBe(0);
    // idle → starting → running → stopping (caught up) → idle, twice (a tick with nothing new may add rounds).
    const runs = states.filter((s, i) => s === 'idle' && states[i - 1] === 'stopping').length;
    expect(runs, states.join(' → ')).toBeGreaterThanOrEqual(2);
    expect(states.join(' → ')).toContain('starting → running → stopping → idle');

    // On demand: the yearly node runs now, catches up and stops.
    await produce(`${namespace}asked`, 0, 40);
    const port = String(c.http!.port);
    const tokenless = await runCli('trigger', file, 'manual', '--port', port);
    expect(tokenless.code).toBe(1);
    expect(tokenless.stderr).toContain('[SLUICE_ERR_HTTP_UNAUTHORIZED]');
    expect(c.instances('manual')[0]!.state).toBe('idle');
    process.env.SLUICE_TOKEN = TOKEN;
    const triggered = await runCli('trigger', file, 'manual', '--port', port);
    expect(triggered, triggered.stderr).toMatchObject({ code: 0, stdout: 'triggered manual of batches: manual\n' });
    const again = await fetch(`${c.http!.url}/nodes/manual/trigger`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` } });
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({ accepted: false, reason: 'node manual is already running' });
    const refused = await runCli('trigger', file, 'manual', '--port', port);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('already running [SLUICE_ERR_TRIGGER_REFUSED]');
    const manual = c.instances('manual')[0]!;
    await until('the manual run caught up and idle', () => (manual.state === 'idle' ? true : undefined), 30_000, 50);
    expect(manual.counts).toMatchObject({ read: 40, written: 40 });

    const unknown = await runCli('trigger', file, 'nope', '--port', port);
    expect(unknown).toMatchObject({ code: 2 });
    expect(unknown.stderr).toContain('no node `nope`');
  });

  it('sluice trigger says plainly when no coordinator listens', async () => {
    const file = writeTopology({ 'topology.yaml': yaml });
    const { code, stderr } = await runCli('trigger', file, 'manual', '--port', '1');
    expect(code).toBe(1);
    expect(stderr).toContain('no coordinator answers on 127.0.0.1:1 ');
    expect(stderr).toContain('[SLUICE_ERR_COORDINATOR_UNREACHABLE]');
  });
});
