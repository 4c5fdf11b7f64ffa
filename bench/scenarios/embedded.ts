/**
 * Scenario 8, the engine without Kafka: the seed's workflow topology
 * (topologies/seed-workflow: file → key → topic → upper-case → topic →
 * analyze → topic → file), scaled up to a generated input of 100,000 people,
 * on the embedded transport and on Kafka. Records/s is input records over the
 * whole run, from start to the last line written; the gap is what Kafka and
 * its client cost, the embedded figure what sluice's own stages cost.
 *
 *     npx tsx bench/scenarios/embedded.ts [--quick] [--rounds 5] [--people 100000]
 */
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { scenarioArgs } from '../harness/args.ts';
import { brokerVersion, freshName } from '../harness/kafka.ts';
import { machine, repoRoot } from '../harness/machine.ts';
import { finish, versus } from '../harness/report.ts';
import { alternate, type Sample } from '../harness/rounds.ts';
import { finished, kafkaTransport, startTopology, writeFolder } from '../harness/topology.ts';
import type { RunReport } from '../../src/runtime/index.ts';
import { createEmbeddedTransport, EmbeddedBroker, type Transport } from '../../src/transport/index.ts';

const args = scenarioArgs({ people: { full: 100_000, quick: 20_000 } });
const N = args.people;
const machineInfo = machine(brokerVersion());

const first = ['Ada', 'Alan', 'Grace', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Margaret', 'Dennis', 'Radia', 'Tim', 'Katherine', 'Niklaus', 'Søren', 'Zoë'];
const last = ['Lovelace', 'Turing', 'Hopper', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Hamilton', 'Ritchie', 'Perlman', 'Berners-Lee', 'Johnson', 'Wirth', 'Kierkegaard', 'Ödegaard'];
const people: string[] = [];
for (let i = 0; i < N; i++) {
  people.push(JSON.stringify({ id: i + 1, name: `${first[i % first.length]} ${last[(i * 7) % last.length]}`, ts: 1_704_067_200_000 + i * 1_000 }));
}
const template = writeFolder({ 'data/people.ndjson': `${people.join('\n')}\n` });
const seed = join(repoRoot, 'topologies', 'seed-workflow');

/** A fresh copy of the seed workflow with the generated input: each round writes its own output file. */
function copy(): string {
  const dir = writeFolder({});
  cpSync(seed, dir, { recursive: true, filter: (src) => !src.startsWith(join(seed, 'out')) && !src.startsWith(join(seed, 'data')) });
  cpSync(join(template, 'data'), join(dir, 'data'), { recursive: true });
  return dir;
}

async function round(transport: Transport, namespace?: string): Promise<Sample> {
  const dir = copy();
  const started = performance.now();
  let report: RunReport;
  try {
    report = await finished(await startTopology(dir, { transport, untilCaughtUp: true, ...(namespace !== undefined ? { namespace } : {}) }));
  } finally {
    await transport.close();
  }
  const seconds = (performance.now() - started) / 1_000;
  const lines = readFileSync(join(dir, 'out', 'analyzed.ndjson'), 'utf8').split('\n').filter((l) => l !== '').length;
  // A run that ends short has lost records: a figure from it would be a lie, so the scenario fails with what each stage did.
  if (lines !== N) throw new Error(`the workflow wrote ${lines} of ${N} records (${transport.kind}); stages: ${JSON.stringify(report.stages)}; files kept in ${dir}`);
  rmSync(dir, { recursive: true, force: true });
  return { recordsPerSecond: N / seconds, seconds };
}

const rounds = await alternate(
  [
    // A broker of its own each round: the embedded logs of earlier rounds are not kept alive.
    { name: 'embedded transport', round: () => round(createEmbeddedTransport(new EmbeddedBroker())) },
    { name: 'Kafka', round: () => round(kafkaTransport(), `${freshName('embedded')}.`) },
  ],
  { rounds: args.rounds },
);

rmSync(template, { recursive: true, force: true });
finish({
  scenario: 'embedded',
  title: `the seed workflow (4 stages, 3 topics) on ${N.toLocaleString('en')} people: embedded transport vs Kafka`,
  machine: machineInfo,
  quick: args.quick,
  params: { people: N, rounds: args.rounds, topology: 'topologies/seed-workflow', measure: 'input records / seconds from start to the output file complete' },
  rows: [versus('records/s through the workflow', 'records/s', rounds['embedded transport']!.median.recordsPerSecond!, 'Kafka', rounds['Kafka']!.median.recordsPerSecond!)],
  rounds,
});
