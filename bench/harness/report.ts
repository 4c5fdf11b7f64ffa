/**
 * A scenario's result: rows of figures (sluice's, the baseline's, their
 * ratio, the goal and whether it was met), printed as a table and appended
 * as one JSON line to bench/results/<scenario>.jsonl, from which
 * bench/table.ts makes the README's table.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { describeMachine, repoRoot, type Machine } from './machine.ts';
import type { Outcome } from './rounds.ts';

/** A bound on a ratio (`versus`) or on a figure itself (`figure`). */
export interface Bound {
  min?: number;
  max?: number;
}

export interface Goal {
  text: string;
  met: boolean;
}

export interface Row {
  measure: string;
  unit: string;
  sluice: number;
  /** What sluice ran against in the same run, and its figure. */
  baseline?: { name: string; value: number };
  /** sluice / baseline. */
  ratio?: number;
  goal?: Goal;
}

export interface Result {
  scenario: string;
  title: string;
  date: string;
  machine: Machine;
  /** A `--quick` smoke run: sizes too small to quote; bench/table.ts skips it. */
  quick: boolean;
  /** Sizes and settings of the run. */
  params: Record<string, unknown>;
  rows: Row[];
  /** Every round's figures, per contender. */
  rounds: Record<string, Outcome>;
  notes?: string[];
}

function goalOf(value: number, bound: Bound, unit: string): Goal {
  const parts: string[] = [];
  if (bound.min !== undefined) parts.push(`≥ ${formatValue(bound.min)}${unit}`);
  if (bound.max !== undefined) parts.push(`≤ ${formatValue(bound.max)}${unit}`);
  const met = (bound.min === undefined || value >= bound.min) && (bound.max === undefined || value <= bound.max);
  return { text: parts.join(' and '), met };
}

/** sluice against a baseline measured in the same run; the goal bounds the ratio. */
export function versus(measure: string, unit: string, sluice: number, baseline: string, value: number, goal?: Bound): Row {
  const ratio = sluice / value;
  return {
    measure,
    unit,
    sluice,
    baseline: { name: baseline, value },
    ratio: Number(ratio.toFixed(3)),
    ...(goal !== undefined ? { goal: goalOf(ratio, goal, 'x') } : {}),
  };
}

/** A figure on its own; the goal bounds the figure. */
export function figure(measure: string, unit: string, value: number, goal?: Bound): Row {
  return { measure, unit, sluice: value, ...(goal !== undefined ? { goal: goalOf(value, goal, ` ${unit}`) } : {}) };
}

export function formatValue(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en');
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

export function printRows(rows: readonly Row[]): void {
  for (const r of rows) {
    const base = r.baseline ? `  vs ${r.baseline.name} ${formatValue(r.baseline.value)}  = ${r.ratio!.toFixed(2)}x` : '';
    const goal = r.goal ? `  [goal ${r.goal.text}: ${r.goal.met ? 'met' : 'MISSED'}]` : '';
    console.log(`  ${r.measure}: ${formatValue(r.sluice)} ${r.unit}${base}${goal}`);
  }
}

const resultsDir = `${repoRoot}bench/results`;

/** Every result of a scenario in bench/results, oldest first; lines of an older shape (without rows) are left out. */
export function readResults(scenario: string): Result[] {
  const file = `${resultsDir}/${scenario}.jsonl`;
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Result)
    .filter((r) => Array.isArray(r.rows));
}

/** The newest full-size result of a scenario (a `--quick` one only when `quick` is true and no full one exists). */
export function latestResult(scenario: string, quick = false): Result | undefined {
  const all = readResults(scenario);
  return all.filter((r) => !r.quick).pop() ?? (quick ? all.pop() : undefined);
}

export function finish(result: Omit<Result, 'date'>): void {
  const full: Result = { ...result, date: new Date().toISOString() };
  console.log(`\n${full.scenario}: ${full.title}`);
  console.log(`  on ${describeMachine(full.machine)}`);
  printRows(full.rows);
  for (const note of full.notes ?? []) console.log(`  note: ${note}`);
  mkdirSync(resultsDir, { recursive: true });
  appendFileSync(`${resultsDir}/${full.scenario}.jsonl`, `${JSON.stringify(full)}\n`);
}
