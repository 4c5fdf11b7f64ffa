/**
 * The coordinator on the real broker: a topology of 3 stages with 2
 * instances each, every instance a worker thread. One instance's worker is
 * killed; it is restarted, its group heals and lag returns to 0; `sluice
 * status --json` (reading the cluster, not the coordinator) reports members,
 * partitions and lag at each point, and /metrics counts what was processed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Coordinator, StageStatus, StatusSnapshot } from '../../../src/coordinator/index.ts';
import { runCli } from '../../unit/cli/cli-harness.ts';
import { parsePrometheus, sampleValue } from '../../unit/coordinator/prometheus.ts';
import { brokers, uniqueName } from '../harness/kafka.ts';
import { writeTopology } from '../runtime/examples.ts';
import { chainTopology, distinctIds, produce, startCoordinator, stopCoordinator, until } from './helpers.ts';

let coordinator: Coordinator | undefined;

afterAll(() => stopCoordinator(coordinator));

async function cliStatus(file: string, namespace: string): Promise<StatusSnapshot> {
  const { code, stdout, stderr } = await runCli('status', file, '--brokers', brokers().join(','), '--namespace', namespace, '--json', '--interval', '200');
  expect(code, stderr).toBe(0);
  return JSON.parse(stdout) as StatusSnapshot;
}

function partitionsOf(stage: StageStatus): number[] {
  return stage.members.flatMap((m) => m.assignment.flatMap((a) => a.partitions)).sort((x, y) => x - y);
}

/** Every stage's group: 2 members with 2 partitions each, together all 4, and no lag. */
function healthy(status: StatusSnapshot): boolean {
  return status.stages.every((s) => s.groupState === 'Stable' && s.members.length === 2 && s.members.every((m) => m.assignment[0]?.partitions.length === 2) && partitionsOf(s).join() === '0,1,2,3' && s.lag === 0);
}

describe('coordinator on Kafka', () => {
  it('restarts a killed instance; lag returns to 0 and sluice status --json shows members, partitions and lag throughout', async () => {
    const file = writeTopology({ 'topology.yaml': chainTopology(2) });
    const namespace = `${uniqueName('sup')}.`;
    coordinator = await startCoordinator(file, namespace, { restartPolicy: { initialDelayMs: 200, maxDelayMs: 1_000 } });
    const c = coordinator;
    await until('every group stable with 2 members', async () => (healthy(await c.refresh()) ? true : undefined), 90_000);

    await produce(`${namespace}in`, 0, 2_000);
    await until('2,000 records through all three stages', async () => {
      const status = await c.refresh();
      return healthy(status) && status.topics.find((t) => t.topic === `${namespace}out`)?.end === 2_000 ? status : undefined;
    });
    const before = await cliStatus(file, namespace);
    expect(before.stages.map((s) => [s.stage, s.group, s.groupState, s.members.length, partitionsOf(s).join(), s.lag])).toEqual([
      ['a', `${namespace}chain.a`, 'Stable', 2, '0,1,2,3', 0],
      ['b', `${namespace}chain.b`, 'Stable', 2, '0,1,2,3', 0],
      ['c', `${namespace}chain.c`, 'Stable', 2, '0,1,2,3', 0],
    ]);
    expect(before.stages.every((s) => s.local === undefined)).toBe(true); // read from the cluster alone

    // Kill one instance of b: its thread ends at once, nothing drained or committed.
    const victim = c.instances('b')[0]!;
    victim.kill();
    await produce(`${namespace}in`, 2_000, 3_000);
    // While the dead member still holds its partitions, b's lag shows in the cluster.
    const during = await until('lag on b while its instance is down', async () => {
      const status = await cliStatus(file, namespace);
      return status.stages.find((s) => s.stage === 'b')!.lag! > 0 ? status : undefined;
    });
    expect(during.stages.find((s) => s.stage === 'a')!.members).toHaveLength(2);

    await until('the killed instance restarted and running', () => (victim.restarts === 1 && victim.state === 'running' ? true : undefined));
    expect(victim.crashes).toBe(1);
    expect(victim.lastError).toMatch(/killed/);
    const after = await until('groups healed and lag back to 0', async () => {
      const status = await c.refresh();
      return healthy(status) && status.topics.find((t) => t.topic === `${namespace}out`)!.end >= 3_000 ? status : undefined;
    }, 90_000);
    expect(after.stages.find((s) => s.stage === 'b')!.local).toMatchObject({ state: 'running', instances: 2, running: 2, restarts: 1, crashes: 1 });
    const cli = await cliStatus(file, namespace);
    expect(cli.stages.map((s) => [s.stage, s.members.length, partitionsOf(s).join(), s.lag])).toEqual([
      ['a', 2, '0,1,2,3', 0],
      ['b', 2, '0,1,2,3', 0],
      ['c', 2, '0,1,2,3', 0],
    ]);
    expect((await distinctIds(`${namespace}out`, 3_000)).size).toBe(3_000);

    const metrics = parsePrometheus(await (await fetch(`${c.http!.url}/metrics`)).text());
    // a was never disturbed after its group settled: exactly what was produced; b and c at least that (at-least-once after the kill).
    expect(sampleValue(metrics, 'sluice_records_in_total', { stage: 'a' })).toBe(3_000);
    expect(sampleValue(metrics, 'sluice_records_out_total', { stage: 'a' })).toBe(3_000);
    expect(sampleValue(metrics, 'sluice_records_in_total', { stage: 'b' })).toBeGreaterThanOrEqual(3_000);
    expect(sampleValue(metrics, 'sluice_stage_errors_total', { stage: 'b' })).toBe(1);
    expect(sampleValue(metrics, 'sluice_stage_restarts_total', { stage: 'b' })).toBe(1);
    expect(sampleValue(metrics, 'sluice_group_members', { stage: 'c' })).toBe(2);
    expect(sampleValue(metrics, 'sluice_stage_lag', { stage: 'b' })).toBe(0);
    expect((await fetch(`${c.http!.url}/health`)).status).toBe(200);
  });

  it('two coordinators running the same node (as on two machines) share its group, and each sees both members', async () => {
    const file = writeTopology({ 'topology.yaml': chainTopology(1) });
    const namespace = `${uniqueName('two')}.`;
    const first = await startCoordinator(file, namespace, { nodes: ['a'], http: undefined });
    const second = await startCoordinator(file, namespace, { nodes: ['a'], http: undefined });
    try {
      const seen = await Promise.all(
        [first, second].map((c) =>
          until('both members in the group of a', async () => {
            const a = (await c.refresh()).stages.find((s) => s.stage === 'a')!;
            // Its own instance reports "started" a moment after it joins the group: wait for both.
            const ready = a.groupState === 'Stable' && a.members.length === 2 && partitionsOf(a).join() === '0,1,2,3' && a.local?.running === 1;
            return ready ? a : undefined;
          }, 60_000),
        ),
      );
      for (const a of seen) {
        expect(a.local).toMatchObject({ instances: 1, running: 1 }); // its own instance only
        expect(a.members.map((m) => m.memberId).sort()).toEqual(seen[0]!.members.map((m) => m.memberId).sort());
      }
      // Stages neither runs are still watched: their groups do not exist yet.
      expect((await first.refresh()).stages.find((s) => s.stage === 'b')).toMatchObject({ groupState: 'Dead', members: [] });
    } finally {
      await Promise.all([stopCoordinator(first), stopCoordinator(second)]);
    }
  });
});
