/**
 * Durations (`500ms`, `30s`, `1m`, `1h30m`, `1d`) and rates (`100/s`) as they
 * are written in topology files, parsed to milliseconds and records/second.
 */
import { z } from 'zod';

const unitMs: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const durationPattern = /^(\d+(ms|s|m|h|d))+$/;
const partPattern = /(\d+)(ms|s|m|h|d)/g;

/** Milliseconds, or undefined when `text` is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (!durationPattern.test(text)) return undefined;
  let total = 0;
  for (const [, n, unit] of text.matchAll(partPattern)) total += Number(n) * (unitMs[unit as string] as number);
  return Number.isSafeInteger(total) ? total : undefined;
}

/** A duration written as text (`1m`) or a number of milliseconds; parses to milliseconds. */
export const DurationSchema = z
  .union([
    z.int().nonnegative(),
    z.string().regex(durationPattern, 'a duration is a number with a unit: `500ms`, `30s`, `1m`, `1h30m`, `1d`'),
  ])
  .transform((v, ctx) => {
    const ms = typeof v === 'number' ? v : parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `duration \`${v}\` is too large` });
      return z.NEVER;
    }
    return ms;
  })
  .meta({ description: 'A duration: `500ms`, `30s`, `1m`, `1h30m`, `1d`, or a number of milliseconds.' });

export const PositiveDurationSchema = DurationSchema.refine((ms) => ms > 0, 'the duration must be greater than zero');

const ratePattern = /^(\d+(?:\.\d+)?)\/(s|m|h)$/;

/** `100/s` → 100; `30/m` → 0.5 (records per second). */
export function parseRate(text: string): number | undefined {
  const m = ratePattern.exec(text);
  if (!m) return undefined;
  const per = { s: 1, m: 60, h: 3_600 }[m[2] as 's' | 'm' | 'h'];
  return Number(m[1]) / per;
}

export const RateSchema = z
  .string()
  .regex(ratePattern, 'a rate is records per unit of time: `100/s`, `30/m`, `5/h`')
  .transform((v) => parseRate(v) as number)
  .refine((r) => r > 0, 'the rate must be greater than zero')
  .meta({ description: 'Records per unit of time: `100/s`, `30/m`, `5/h`.' });

/** The shortest unit form of a duration: 60000 → `1m`, 90000 → `1m30s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const unit of ['d', 'h', 'm', 's', 'ms']) {
    const size = unitMs[unit] as number;
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
