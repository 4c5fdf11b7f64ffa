/**
 * Built-in steps compiled from declarative config (`filter` → `map` → `key`)
 * against the same work written by hand as one plain function, over the same
 * records in one process: what the declarative form costs per record.
 *
 *     npx tsx bench/scenarios/processors.ts [--quick] [--rounds 5] [--records 1000000]
 */
import { createRecord, type SluiceRecord } from '../../src/core/index.ts';
import { chainSteps, compileProcessor, StepSchema, type BuiltinStep } from '../../src/processors/index.ts';
import { scenarioArgs } from '../harness/args.ts';
import { elapsed, startClock } from '../harness/clock.ts';
import { machine } from '../harness/machine.ts';
import { finish, versus } from '../harness/report.ts';
import { alternate, type Sample } from '../harness/rounds.ts';

const args = scenarioArgs({ records: { full: 1_000_000, quick: 100_000 } });
const machineInfo = machine();

const cities = ['Paris', 'Lyon', 'Nantes', 'Lille', 'Brest'];
const records: SluiceRecord[] = Array.from({ length: args.records }, (_, i) =>
  createRecord({ id: `u${i}`, name: `User ${i}`, age: (i % 97) - 3, city: cities[i % 5], email: `u${i}@example.com` }, { timestamp: i }),
);

const compiled = chainSteps(
  [
    { filter: { field: 'age', gte: 0 } },
    { map: { pick: ['id', 'age', 'city'], set: { source: 'bench' } } },
    { key: { field: 'city' } },
  ].map((config) => compileProcessor(StepSchema.parse(config) as BuiltinStep)),
);

type User = { id: string; age: number; city: string };

function byHand(r: SluiceRecord): SluiceRecord[] {
  const v = r.value as User;
  if (!(typeof v.age === 'number' && v.age >= 0)) return [];
  return [{ ...r, key: v.city, value: { id: v.id, age: v.age, city: v.city, source: 'bench' } }];
}

/** Both must pass the same records through: a difference would be a bug, not a speed-up. */
let expectedOut: number | undefined;

function run(fn: (r: SluiceRecord) => SluiceRecord[]): Sample {
  const clock = startClock();
  let out = 0;
  for (let i = 0; i < records.length; i++) out += fn(records[i]!).length;
  const time = elapsed(clock);
  expectedOut ??= out;
  if (out !== expectedOut) throw new Error(`the two disagree on the output count: ${out} vs ${expectedOut}`);
  return { recordsPerSecond: records.length / time.seconds };
}

const rounds = await alternate(
  [
    { name: 'compiled steps', round: async () => run(compiled) },
    { name: 'hand-written function', round: async () => run(byHand) },
  ],
  { rounds: args.rounds },
);

finish({
  scenario: 'processors',
  title: 'built-in steps (filter → map → key) compiled from config vs the same function by hand',
  machine: machineInfo,
  quick: args.quick,
  params: { records: args.records, rounds: args.rounds, steps: 'filter age>=0 | map pick id,age,city + set source | key city' },
  rows: [versus('records/s', 'records/s', rounds['compiled steps']!.median.recordsPerSecond!, 'hand-written function', rounds['hand-written function']!.median.recordsPerSecond!)],
  rounds,
});
