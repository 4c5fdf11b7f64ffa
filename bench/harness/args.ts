/**
 * The options every scenario takes: `--quick` (a smoke run with small sizes),
 * `--rounds N`, and its own sizes by name (`--records 200000`), each with a
 * full and a quick default.
 */
import { parseArgs } from 'node:util';

export interface SizeDefaults {
  [name: string]: { full: number; quick: number };
}

export type ScenarioArgs<S extends SizeDefaults> = { quick: boolean; rounds: number } & { [K in keyof S]: number };

export function scenarioArgs<S extends SizeDefaults>(sizes: S, argv: string[] = process.argv.slice(2)): ScenarioArgs<S> {
  const options: Record<string, { type: 'string' | 'boolean' }> = { quick: { type: 'boolean' }, rounds: { type: 'string' } };
  for (const name of Object.keys(sizes)) options[name] = { type: 'string' };
  const { values } = parseArgs({ args: argv, options, allowPositionals: false });
  const quick = values.quick === true;
  const number = (name: string, fallback: number): number => {
    const given = values[name];
    if (typeof given !== 'string') return fallback;
    const n = Number(given.replace(/_/g, ''));
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${given}`);
    return n;
  };
  const out: Record<string, number | boolean> = { quick, rounds: number('rounds', quick ? 2 : 5) };
  for (const [name, d] of Object.entries(sizes)) out[name] = number(name, quick ? d.quick : d.full);
  return out as ScenarioArgs<S>;
}
