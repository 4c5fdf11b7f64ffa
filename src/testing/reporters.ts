/**
 * How `sluice test` shows results: as a test runner does on a terminal (a ✓
 * or ✗ per case, each failure's expected and actual records as a diff), as
 * JSON, or as JUnit XML for CI.
 */
import { formatProblem } from '../topology/index.ts';
import type { CaseResult, FileResult } from './suite.ts';

export const reporters = ['text', 'json', 'junit'] as const;
export type ReporterName = (typeof reporters)[number];

function ms(d: number): string {
  return `${Math.round(d)} ms`;
}

/** One case's line and, when it failed, what was wrong: `-` expected and not seen, `+` seen and not expected. */
export function caseText(result: CaseResult): string {
  if (result.skipped !== undefined) return `  - ${result.name} (skipped: ${result.skipped})\n`;
  const crashes = result.crashes !== undefined ? `, ${result.crashes} crash${result.crashes === 1 ? '' : 'es'}` : '';
  const lines = [`  ${result.passed ? '✓' : '✗'} ${result.name} (${ms(result.durationMs)}${crashes})`];
  for (const f of result.failures) {
    lines.push(`      ${f.message}`);
    for (const m of f.missing ?? []) lines.push(`      - ${JSON.stringify(m)}`);
    for (const u of f.unexpected ?? []) lines.push(`      + ${JSON.stringify(u)}`);
  }
  return lines.join('\n') + '\n';
}

export function fileHeaderText(file: string): string {
  return `${file}\n`;
}

export function problemsText(result: FileResult): string {
  return result.problems.map((p) => `${formatProblem(p)}\n`).join('');
}

export function summaryText(results: readonly FileResult[]): string {
  const cases = results.flatMap((r) => r.cases);
  const failed = cases.filter((c) => !c.passed).length;
  const skipped = cases.filter((c) => c.skipped !== undefined).length;
  const bad = results.filter((r) => r.problems.length > 0).length;
  const parts = [`${cases.length - failed - skipped} passed`, `${failed} failed`];
  if (skipped > 0) parts.push(`${skipped} skipped`);
  if (bad > 0) parts.push(`${bad} test file${bad === 1 ? '' : 's'} not run`);
  return `\n${parts.join(', ')}\n`;
}

function xml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

export function junitText(results: readonly FileResult[]): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', '<testsuites name="sluice test">'];
  for (const r of results) {
    const failed = r.cases.filter((c) => !c.passed).length + (r.problems.length > 0 ? 1 : 0);
    const time = r.cases.reduce((t, c) => t + c.durationMs, 0) / 1000;
    out.push(`  <testsuite name="${xml(r.file)}" tests="${r.cases.length || 1}" failures="${failed}" time="${time.toFixed(3)}">`);
    if (r.problems.length > 0) {
      out.push(`    <testcase name="${xml(r.file)}" classname="${xml(r.file)}">`, `      <error message="test file not run">${xml(problemsText(r))}</error>`, '    </testcase>');
    }
    for (const c of r.cases) {
      out.push(`    <testcase name="${xml(c.name)}" classname="${xml(r.file)}" time="${(c.durationMs / 1000).toFixed(3)}">`);
      if (c.skipped !== undefined) out.push(`      <skipped message="${xml(c.skipped)}"/>`);
      if (!c.passed) out.push(`      <failure message="${xml(c.failures[0]!.message)}">${xml(caseText(c))}</failure>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}

export function jsonText(results: readonly FileResult[]): string {
  return JSON.stringify({ files: results }, null, 2) + '\n';
}
