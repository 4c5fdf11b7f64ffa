/**
 * The coordinator's monitor: what sampling the cluster costs the stages it
 * watches. One sample is what `sluice run` takes every `--poll-interval`
 * (default 2 s) and `sluice status` twice: DescribeGroups for every stage's
 * group, OffsetFetch per group, ListOffsets per topic (sampleCluster). The
 * one-hop stage runs with no monitor, with a monitor at the default 2 s, and
 * at 100 ms (20× as often, to make a cost visible); also the time one sample
 * takes while the stage runs, and, with the stage idle, the wall and CPU time
 * of one sample (the CPU is what competes with stages for a core).
 *
 *     npx tsx bench/scenarios/monitor.ts [--quick] [--rounds 5] [--records 200000]
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createCodecChain } from '../../src/codecs/index.ts';
import { planTopology, sampleCluster } from '../../src/coordinator/index.ts';
import { silentLogger } from '../../src/core/index.ts';
import { loadTopology } from '../../src/topology/index.ts';
import { createClusterAdmin } from '../../src/transport/index.ts';
import { scenarioArgs } from '../harness/args.ts';
import { brokers, brokerVersion, fillWithEvents, freshName } from '../harness/kafka.ts';
import { machine } from '../harness/machine.ts';
import { eventSchema } from '../harness/records.ts';
import { figure, finish, versus } from '../harness/report.ts';
import { alternate, median, type Sample } from '../harness/rounds.ts';
import { hopTopology, kafkaTransport, runTopology } from '../harness/topology.ts';

const args = scenarioArgs({ records: { full: 200_000, quick: 20_000 }, partitions: { full: 3, quick: 3 } });
const N = args.records;
const machineInfo = machine(brokerVersion());
const input = freshName('monitor.in');
await fillWithEvents(input, args.partitions, N, createCodecChain('avro', { schema: eventSchema() }));

/** One run of the hop, sampled every `pollMs` meanwhile (never when undefined). */
async function round(pollMs: number | undefined): Promise<Sample> {
  const dir = hopTopology({ from: input, to: freshName('monitor.out'), partitions: args.partitions });
  const plan = planTopology(await loadTopology(join(dir, 'topology.yaml')));
  const transport = kafkaTransport();
  const admin = pollMs !== undefined ? createClusterAdmin({ brokers: brokers(), clientId: 'bench-monitor', logger: silentLogger }) : undefined;
  const sampleMs: number[] = [];
  let running = true;
  const monitor = (async () => {
    while (admin !== undefined && running) {
      const started = performance.now();
      await sampleCluster(admin, plan);
      sampleMs.push(performance.now() - started);
      await sleep(pollMs);
    }
  })();
  try {
    const { throughput } = await runTopology(dir, { transport, counted: 'hop', total: N });
    return { ...throughput, ...(sampleMs.length > 0 ? { sampleMs: median(sampleMs), samples: sampleMs.length } : {}) };
  } finally {
    running = false;
    await monitor;
    await admin?.close();
    await transport.close();
  }
}

const rounds = await alternate(
  [
    { name: 'no monitor', round: () => round(undefined) },
    { name: 'monitor every 2 s', round: () => round(2_000) },
    { name: 'monitor every 100 ms', round: () => round(100) },
  ],
  { rounds: args.rounds },
);

// The sampler alone, the stage idle: CPU time of this process per sample (the part that competes with stages for a core).
const idlePlan = planTopology(await loadTopology(join(hopTopology({ from: input, to: freshName('monitor.out'), partitions: args.partitions }), 'topology.yaml')));
const idleAdmin = createClusterAdmin({ brokers: brokers(), clientId: 'bench-monitor-idle', logger: silentLogger });
await sampleCluster(idleAdmin, idlePlan); // connect first
const SAMPLES = args.quick ? 20 : 100;
const cpuBefore = process.cpuUsage();
const wallBefore = performance.now();
for (let i = 0; i < SAMPLES; i++) await sampleCluster(idleAdmin, idlePlan);
const cpu = process.cpuUsage(cpuBefore);
const cpuMsPerSample = (cpu.user + cpu.system) / 1_000 / SAMPLES;
const wallMsPerSample = (performance.now() - wallBefore) / SAMPLES;
await idleAdmin.close();

const none = rounds['no monitor']!.median.recordsPerSecond!;
const every2s = rounds['monitor every 2 s']!.median.recordsPerSecond!;
const every100ms = rounds['monitor every 100 ms']!.median.recordsPerSecond!;
finish({
  scenario: 'monitor',
  title: "monitor overhead: the one-hop stage's throughput while the cluster is sampled (DescribeGroups, OffsetFetch, ListOffsets)",
  machine: machineInfo,
  quick: args.quick,
  params: { records: N, partitions: args.partitions, rounds: args.rounds, measure: 'records/s acknowledged between 10% and 90% of the run' },
  rows: [
    versus('records/s, monitor every 2 s (the default)', 'records/s', every2s, 'no monitor', none, { min: 0.95 }),
    versus('records/s, monitor every 100 ms', 'records/s', every100ms, 'no monitor', none),
    figure('one cluster sample while the stage runs (median)', 'ms', rounds['monitor every 100 ms']!.median.sampleMs!),
    figure('one cluster sample, stage idle: wall time', 'ms', wallMsPerSample),
    figure('one cluster sample, stage idle: CPU of the sampling process', 'ms', cpuMsPerSample),
    figure('share of one core the default 2 s poll takes', '%', (cpuMsPerSample / 2_000) * 100, { max: 1 }),
  ],
  rounds,
});
