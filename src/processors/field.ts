/**
 * Field paths (`city`, `address.city`) compiled once into getters, so the
 * per-record work is a few property reads with no string splitting.
 */
import { z } from 'zod';

/** Keys that would reach or replace an object's prototype; refused in paths and in config files. */
const forbiddenKeys: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export function isForbiddenKey(key: string): boolean {
  return forbiddenKeys.has(key);
}

export const FieldPathSchema = z
  .string()
  .regex(/^[^.\s]+(\.[^.\s]+)*$/, 'a field path is names joined by dots, e.g. `city` or `address.city`')
  .refine((p) => !p.split('.').some(isForbiddenKey), 'a field path may not use `__proto__`, `constructor` or `prototype`')
  .meta({ description: 'A field of the record value; dots reach into nested objects (`address.city`).' });

/** A top-level field a step writes or names (no path): any name but the prototype's. */
export const FieldNameSchema = z
  .string()
  .min(1)
  .refine((k) => !isForbiddenKey(k), 'field names `__proto__`, `constructor` and `prototype` are refused');

export type FieldGetter = (value: unknown) => unknown;

/**
 * A field of a record value. Values are data (decoded JSON or Avro), which
 * never holds functions, so a function found here came from a prototype
 * (`toString`, an avsc record's `clone`) and reads as absent: as safe as
 * Object.hasOwn and cheaper on the per-record path.
 */
export function dataField(obj: unknown, key: string): unknown {
  if (typeof obj !== 'object' || obj === null) return undefined;
  const v = (obj as Record<string, unknown>)[key];
  return typeof v === 'function' ? undefined : v;
}


export function compileFieldPath(path: string): FieldGetter {
  const parts = path.split('.');
  if (parts.some(isForbiddenKey)) throw new TypeError(`field path \`${path}\` uses a forbidden name`);
  if (parts.length === 1) {
    const [k] = parts as [string];
    return (v) => dataField(v, k);
  }
  if (parts.length === 2) {
    const [a, b] = parts as [string, string];
    return (v) => dataField(dataField(v, a), b);
  }
  return (v) => {
    let cur = v;
    for (let i = 0; i < parts.length && cur !== undefined; i++) cur = dataField(cur, parts[i] as string);
    return cur;
  };
}
