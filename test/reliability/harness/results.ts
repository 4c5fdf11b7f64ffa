/**
 * Short forms run in CI (`npm test`), full forms with `npm run test:reliability`
 * (SLUICE_RELIABILITY=full): same scenarios, same checker, more records and
 * faults. Each scenario ends with one row for the table in docs/reliability.md,
 * printed and appended to test-results/reliability.jsonl.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CheckReport } from '../checker.ts';

export const FULL = process.env.SLUICE_RELIABILITY === 'full';

/** The short form's value in CI, the full form's with SLUICE_RELIABILITY=full. */
export function sized<T>(short: T, full: T): T {
  return FULL ? full : short;
}

export interface ResultRow {
  scenario: string;
  mode: string;
  records: number;
  faults: string;
  report: CheckReport;
  recovery?: string;
  notes?: string;
}

const dir = fileURLToPath(new URL('../../../test-results/', import.meta.url));

export function recordResult(row: ResultRow): void {
  const { report, ...rest } = row;
  const line = {
    ...rest,
    form: FULL ? 'full' : 'short',
    lost: report.lost,
    duplicated: report.duplicates,
    orderViolations: report.orderViolations.length,
    read: report.read,
    at: new Date().toISOString(),
  };
  console.log(`[reliability] ${JSON.stringify(line)}`);
  mkdirSync(dir, { recursive: true });
  appendFileSync(`${dir}reliability.jsonl`, JSON.stringify(line) + '\n');
}
