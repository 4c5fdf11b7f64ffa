/**
 * Built-in steps compiled from declarative config (`filter` → `map` → `key`)
 * against the same work written by hand as one plain function, over the same
 * records in the same run. Warm-up, then rounds alternating the two, median of
 * each. Appends one JSON line to bench/results/processors.jsonl.
 *
 *     npx tsx bench/processors.ts [--rounds 5] [--records 1000000]
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRecord, type SluiceRecord } from '../src/core/index.ts';
import { chainSteps, compileProcessor, StepSchema, type BuiltinStep } from '../src/processors/index.ts';

const { values: args } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, records: { type: 'string', default: '1000000' } },
});
const ROUNDS = Number(args.rounds);
const RECORDS = Number(args.records);

const cities = ['Paris', 'Lyon', 'Nantes', 'Lille', 'Brest'];
const records: SluiceRecord[] = Array.from({ length: RECORDS }, (_, i) =>
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

function run(fn: (r: SluiceRecord) => SluiceRecord[]): { seconds: number; out: number } {
  const start = process.hrtime.bigint();
  let out = 0;
  for (let i = 0; i < records.length; i++) out += fn(records[i] as SluiceRecord).length;
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, out };
}

const scenarios = { 'compiled steps': compiled, 'hand-written function': byHand } as const;
type Name = keyof typeof scenarios;
const results: Record<Name, number[]> = { 'compiled steps': [], 'hand-written function': [] };
const outputs = new Set<number>();

for (const name of Object.keys(scenarios) as Name[]) run(scenarios[name]);
for (let round = 0; round < ROUNDS; round++) {
  for (const name of Object.keys(scenarios) as Name[]) {
    const { seconds, out } = run(scenarios[name]);
    results[name].push(RECORDS / seconds);
    outputs.add(out);
  }
}
if (outputs.size !== 1) throw new Error(`the two scenarios disagree on the output count: ${[...outputs].join(', ')}`);

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

const cpu = cpus()[0]?.model ?? 'unknown';
console.log(`machine: ${cpus().length} cores (${cpu}), node ${process.version}; ${RECORDS.toLocaleString()} records per round, ${ROUNDS} rounds, median`);
const summary: Record<string, number> = {};
for (const name of Object.keys(scenarios) as Name[]) {
  summary[name] = Math.round(median(results[name]));
  console.log(`${name.padEnd(24)} ${summary[name].toLocaleString().padStart(12)} records/s`);
}

const dir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(dir, { recursive: true });
appendFileSync(
  `${dir}processors.jsonl`,
  JSON.stringify({
    bench: 'processors',
    date: new Date().toISOString(),
    machine: { cores: cpus().length, cpu, node: process.version },
    steps: 'filter age>=0 | map pick id,age,city + set source | key city',
    recordsPerRound: RECORDS,
    rounds: ROUNDS,
    recordsPerSecond: summary,
  }) + '\n',
);
