/**
 * The results table from the newest full-size result of each scenario in
 * bench/results: every figure, its baseline, the ratio and the goal, with the
 * date, machine and versions it ran on. Prints markdown; `--write` also puts
 * it into bench/README.md and docs/benchmarks.md between the `bench:table`
 * markers.
 *
 *     npx tsx bench/table.ts [--write] [--quick]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { repoRoot } from './harness/machine.ts';
import { formatValue, latestResult, type Result, type Row } from './harness/report.ts';
import { suite } from './harness/suite.ts';

const BEGIN = '<!-- bench:table:begin -->';
const END = '<!-- bench:table:end -->';

function cells(r: Row): string[] {
  const unit = r.unit === 'x' ? 'x' : ` ${r.unit}`;
  return [
    r.measure,
    `${formatValue(r.sluice)}${unit}`,
    r.baseline ? `${formatValue(r.baseline.value)}${unit} (${r.baseline.name})` : '',
    r.ratio !== undefined ? `${r.ratio.toFixed(2)}x` : '',
    r.goal ? `${r.goal.text}: **${r.goal.met ? 'met' : 'missed'}**` : '',
  ];
}

export function markdownTable(options: { quick?: boolean; only?: readonly string[] } = {}): string {
  const results: Result[] = [];
  const missing: string[] = [];
  for (const s of suite) {
    if (options.only !== undefined && !options.only.includes(s.name)) continue;
    const r = latestResult(s.name, options.quick ?? false);
    if (r === undefined) {
      if (s.onRequest !== true) missing.push(s.name);
    } else results.push(r);
  }
  const lines = ['| scenario | measure | sluice | baseline | ratio | goal |', '| --- | --- | --- | --- | --- | --- |'];
  for (const r of results) {
    const info = suite.find((s) => s.name === r.scenario);
    const label = `${info?.issue !== undefined ? `${info.issue}. ` : ''}${r.scenario}${r.quick ? ' (quick)' : ''}`;
    r.rows.forEach((row, i) => lines.push(`| ${i === 0 ? label : ''} | ${cells(row).join(' | ')} |`));
  }
  const machines = new Map<string, string[]>();
  for (const r of results) {
    const m = r.machine;
    const key = `${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}${m.kafka ? `, ${m.kafka}` : ''}`;
    const run = `${r.scenario} ${r.date.slice(0, 16).replace('T', ' ')} UTC (load ${m.load}, commit ${m.commit}${m.dirty ? '+dirty' : ''})`;
    machines.set(key, [...(machines.get(key) ?? []), run]);
  }
  const ran = [...machines].map(([m, runs]) => `- ${m}: ${runs.join('; ')}`);
  return [...lines, '', 'Ran on:', ...ran, ...(missing.length > 0 ? ['', `No result yet: ${missing.join(', ')}.`] : [])].join('\n');
}

/** Puts `table` between the markers of bench/README.md and docs/benchmarks.md. */
export function writeTable(table: string): void {
  for (const file of [`${repoRoot}bench/README.md`, `${repoRoot}docs/benchmarks.md`]) {
    const text = readFileSync(file, 'utf8');
    const a = text.indexOf(BEGIN);
    const b = text.indexOf(END);
    if (a < 0 || b < a) throw new Error(`${file} has no ${BEGIN} … ${END} section`);
    writeFileSync(file, `${text.slice(0, a + BEGIN.length)}\n${table}\n${text.slice(b)}`);
    console.error(`table written into ${file}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const table = markdownTable({ quick: process.argv.includes('--quick') });
  console.log(table);
  if (process.argv.includes('--write')) writeTable(table);
}
