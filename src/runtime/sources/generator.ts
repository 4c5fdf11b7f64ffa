/**
 * Fake records from an Avro schema (avsc's `random()`), at a set rate, for
 * demos and load. Values are already decoded, so stages built on it skip the
 * decode step. Pacing sleeps between small bursts so a high rate costs no
 * timer per record.
 */
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Type } from 'avsc';
import type { Envelope } from '../envelope.ts';
import type { Completion } from '../offsets.ts';
import { formatLine } from '../sinks/lines.ts';

export interface GeneratorOptions {
  type: Type;
  /** Stop after this many records; unbounded when absent. */
  count?: number;
  ratePerSecond?: number;
  signal?: AbortSignal;
  /** Records produced before (by earlier runs): a counted generator makes only the rest. */
  produced?: number;
  /** A token for record number `n` (from 1): `n` records are produced once it settles. */
  track?: (next: number, n: number) => Completion;
}

async function* generate({ type, count, ratePerSecond, signal, produced = 0, track }: GeneratorOptions): AsyncGenerator<Envelope> {
  const started = Date.now();
  const limit = count ?? Number.POSITIVE_INFINITY;
  for (let i = produced; i < limit && !signal?.aborted; i++) {
    if (ratePerSecond !== undefined && ratePerSecond > 0) {
      const due = started + ((i - produced) * 1000) / ratePerSecond;
      const wait = due - Date.now();
      if (wait > 5) await sleep(wait);
    }
    const value: unknown = type.random();
    const timestamp = Date.now();
    yield {
      record: { key: null, value, headers: {}, timestamp },
      token: track?.(i + 1, i + 1),
      origin: { rawKey: null, rawValue: formatLine(value).trimEnd(), rawHeaders: {}, timestamp },
    };
  }
}

export function createGeneratorSource(options: GeneratorOptions): Readable {
  return Readable.from(generate(options), { objectMode: true, highWaterMark: 256 });
}
