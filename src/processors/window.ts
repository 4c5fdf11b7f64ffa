/**
 * Window configuration and the pure part of windowing: which windows a
 * timestamp falls in. Keeping state and emitting results is the runtime's job.
 */
import { z } from 'zod';
import { FieldPathSchema } from './field.ts';
import { DurationSchema, PositiveDurationSchema } from './duration.ts';
import { ModuleRefSchema, type ModuleRef } from './module-ref.ts';

export type WindowSpec =
  | { readonly kind: 'tumbling'; readonly sizeMs: number; readonly graceMs: number }
  | { readonly kind: 'hopping'; readonly sizeMs: number; readonly advanceMs: number; readonly graceMs: number }
  /** One window for all time: a running aggregate per key. */
  | { readonly kind: 'global' };

export const builtinAggregates = ['count', 'sum', 'min', 'max', 'avg'] as const;
export type BuiltinAggregate = (typeof builtinAggregates)[number];

export type AggregateSpec =
  | { readonly kind: 'count' }
  | { readonly kind: Exclude<BuiltinAggregate, 'count'>; readonly field: string }
  | ({ readonly kind: 'module' } & ModuleRef);

export interface WindowedAggregate {
  readonly window: WindowSpec;
  /** The field to group by; without it records group by their key. */
  readonly key?: string;
  readonly aggregate: AggregateSpec;
}

/** What a window emits per key: the record value of its output. */
export interface WindowResult<Out = number> {
  key: string | null;
  start: number;
  end: number;
  value: Out;
}

/** Bounds a hopping window's fan-out: each record is added to size/advance windows. */
export const MAX_WINDOWS_PER_RECORD = 1_000;

const HoppingSchema = z.strictObject({
  size: PositiveDurationSchema,
  advance: PositiveDurationSchema,
});

export const WindowConfigSchema = z
  .strictObject({
    tumbling: PositiveDurationSchema.optional().meta({ description: 'Fixed, non-overlapping windows of this size.' }),
    hopping: HoppingSchema.optional().meta({ description: 'Overlapping windows of `size`, starting every `advance`.' }),
    global: z.literal(true).optional().meta({ description: 'One window for all time: a running aggregate per key.' }),
    key: FieldPathSchema.optional().meta({ description: 'Group by this field (default: the record key).' }),
    aggregate: z
      .union([z.enum(builtinAggregates), ModuleRefSchema])
      .meta({ description: '`count`, `sum`, `min`, `max`, `avg` (with `field`), or `{ module }` for a user aggregator.' }),
    field: FieldPathSchema.optional().meta({ description: 'The numeric field that sum/min/max/avg read.' }),
    grace: DurationSchema.optional().meta({ description: 'How long a window stays open for late records (default 0).' }),
  })
  .superRefine((w, ctx) => {
    const kinds = (['tumbling', 'hopping', 'global'] as const).filter((k) => w[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          kinds.length === 0
            ? 'a window needs its kind: `tumbling: 1m`, `hopping: { size: 5m, advance: 1m }` or `global: true`'
            : `a window has one kind, not ${kinds.map((k) => `\`${k}\``).join(' and ')}`,
      });
    }
    if (w.hopping !== undefined) {
      if (w.hopping.advance > w.hopping.size) {
        ctx.addIssue({ code: 'custom', path: ['hopping', 'advance'], message: 'a hopping window cannot advance by more than its size' });
      } else if (w.hopping.size / w.hopping.advance > MAX_WINDOWS_PER_RECORD) {
        ctx.addIssue({
          code: 'custom',
          path: ['hopping', 'advance'],
          message: `size/advance puts each record in more than ${MAX_WINDOWS_PER_RECORD} windows; advance by more`,
        });
      }
    }
    if (w.global !== undefined && w.grace !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['grace'], message: 'a global window never closes, so `grace` does not apply' });
    }
    const needsField = typeof w.aggregate === 'string' && w.aggregate !== 'count';
    if (needsField && w.field === undefined) {
      ctx.addIssue({ code: 'custom', path: ['field'], message: `aggregate \`${String(w.aggregate)}\` needs \`field\`: the numeric field to read` });
    } else if (!needsField && w.field !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['field'], message: '`field` applies only to sum, min, max and avg' });
    }
  })
  .transform((w): WindowedAggregate => {
    const graceMs = w.grace ?? 0;
    const window: WindowSpec =
      w.tumbling !== undefined
        ? { kind: 'tumbling', sizeMs: w.tumbling, graceMs }
        : w.hopping !== undefined
          ? { kind: 'hopping', sizeMs: w.hopping.size, advanceMs: w.hopping.advance, graceMs }
          : { kind: 'global' };
    const aggregate: AggregateSpec =
      typeof w.aggregate !== 'string'
        ? { kind: 'module', ...w.aggregate }
        : w.aggregate === 'count'
          ? { kind: 'count' }
          : { kind: w.aggregate, field: w.field as string };
    return { window, ...(w.key !== undefined ? { key: w.key } : {}), aggregate };
  })
  .meta({ id: 'Window', description: 'Aggregate records per key over tumbling, hopping or global windows.' });

export interface TimeWindow {
  start: number;
  end: number;
}

const GLOBAL_WINDOW: Readonly<TimeWindow> = Object.freeze({ start: -Number.MAX_SAFE_INTEGER, end: Number.MAX_SAFE_INTEGER });

function floorTo(ts: number, step: number): number {
  // Math.floor keeps negative timestamps (before 1970) in the right window.
  return Math.floor(ts / step) * step;
}

/**
 * The windows a record with this timestamp belongs to, oldest first. Windows
 * are aligned to the epoch and half-open: [start, end).
 */
export function windowsFor(timestampMs: number, spec: WindowSpec): TimeWindow[] {
  switch (spec.kind) {
    case 'global':
      return [{ ...GLOBAL_WINDOW }];
    case 'tumbling': {
      const start = floorTo(timestampMs, spec.sizeMs);
      return [{ start, end: start + spec.sizeMs }];
    }
    case 'hopping': {
      const out: TimeWindow[] = [];
      const last = floorTo(timestampMs, spec.advanceMs);
      // The oldest window still open at this timestamp starts after timestamp - size.
      const first = floorTo(timestampMs - spec.sizeMs, spec.advanceMs) + spec.advanceMs;
      for (let start = first; start <= last; start += spec.advanceMs) out.push({ start, end: start + spec.sizeMs });
      return out;
    }
  }
}

/** A window is closed, and its result final, once event time has passed its end plus grace. */
export function isWindowClosed(window: TimeWindow, spec: WindowSpec, watermarkMs: number): boolean {
  return spec.kind !== 'global' && watermarkMs >= window.end + spec.graceMs;
}
