/**
 * The options every scenario takes: `--quick` (a smoke run with small sizes),
 * `--rounds N`, its own sizes by name (`--records 200000`), each with a
 * full and a quick default, and lists of what to run (`--jobs pipe,wordcount`),
 * each from a fixed set, all of it by default.
 */
import { parseArgs } from 'node:util';

export interface SizeDefaults {
  [name: string]: { full: number; quick: number };
}

export interface ChoiceSets {
  [name: string]: readonly string[];
}

export type ScenarioArgs<S extends SizeDefaults, C extends ChoiceSets = Record<never, never>> = { quick: boolean; rounds: number } & { [K in keyof S]: number } & {
  [K in keyof C]: C[K][number][];
};

export function scenarioArgs<S extends SizeDefaults, C extends ChoiceSets = Record<never, never>>(
  sizes: S,
  argv: string[] = process.argv.slice(2),
  choices?: C,
): ScenarioArgs<S, C> {
  const options: Record<string, { type: 'string' | 'boolean' }> = { quick: { type: 'boolean' }, rounds: { type: 'string' } };
  for (const name of [...Object.keys(sizes), ...Object.keys(choices ?? {})]) options[name] = { type: 'string' };
  const { values } = parseArgs({ args: argv, options, allowPositionals: false });
  const quick = values.quick === true;
  const number = (name: string, fallback: number): number => {
    const given = values[name];
    if (typeof given !== 'string') return fallback;
    const n = Number(given.replace(/_/g, ''));
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${given}`);
    return n;
  };
  const out: Record<string, number | boolean | string[]> = { quick, rounds: number('rounds', quick ? 2 : 5) };
  for (const [name, d] of Object.entries(sizes)) out[name] = number(name, quick ? d.quick : d.full);
  for (const [name, allowed] of Object.entries(choices ?? {})) {
    const given = values[name];
    const picked = typeof given === 'string' ? given.split(',').map((v) => v.trim()) : [...allowed];
    const wrong = picked.filter((v) => !allowed.includes(v));
    if (wrong.length > 0 || picked.length === 0) throw new Error(`--${name} takes a comma-separated list of ${allowed.join(', ')}, got ${String(given)}`);
    out[name] = picked;
  }
  return out as ScenarioArgs<S, C>;
}
