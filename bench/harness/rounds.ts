/**
 * Runs contenders side by side in one process: a warm-up round of each (JIT,
 * connections, the broker's page cache), then rounds that alternate who goes
 * first, so neither always runs on a warmer (or more tired) machine. Each
 * round gives named figures; a contender's figure is the median over rounds.
 */

/** One round's figures, by name (`recordsPerSecond`, `p99Ms`, ...). */
export type Sample = Record<string, number>;

export interface Contender {
  name: string;
  round(index: number): Promise<Sample>;
}

export interface Outcome {
  samples: Sample[];
  median: Sample;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function medians(samples: readonly Sample[]): Sample {
  const out: Sample = {};
  for (const key of Object.keys(samples[0] ?? {})) out[key] = median(samples.map((s) => s[key]!));
  return out;
}

function show(sample: Sample): string {
  return Object.entries(sample)
    .map(([k, v]) => `${k} ${Number.isInteger(v) || Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en') : v.toFixed(3)}`)
    .join(', ');
}

export async function alternate(contenders: readonly Contender[], options: { rounds: number; warmup?: boolean }): Promise<Record<string, Outcome>> {
  const samples = new Map<string, Sample[]>(contenders.map((c) => [c.name, []]));
  if (options.warmup ?? true) {
    for (const c of contenders) {
      const s = await c.round(-1);
      console.error(`  warm-up  ${c.name}: ${show(s)}`);
    }
  }
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? contenders : [...contenders].reverse();
    for (const c of order) {
      const s = await c.round(round);
      samples.get(c.name)!.push(s);
      console.error(`  round ${round + 1}  ${c.name}: ${show(s)}`);
    }
  }
  return Object.fromEntries([...samples].map(([name, list]) => [name, { samples: list, median: medians(list) }]));
}
