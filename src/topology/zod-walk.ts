/**
 * Reads the topology schema itself, to word messages: which keys an object
 * allows (for "did you mean"), what a field is for (its description), and what
 * a one-key object chooses (its noun). The only place that looks inside zod's
 * schema definitions.
 */
import { z } from 'zod';
import { choiceRegistry } from '../processors/index.ts';
import type { PathSegment } from './problems.ts';

type Schema = z.core.$ZodType;

interface Def {
  type: string;
  innerType?: Schema;
  in?: Schema;
  getter?: () => Schema;
  options?: Schema[];
  shape?: Record<string, Schema>;
  valueType?: Schema;
  element?: Schema;
}

const wrappers = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);

function defOf(s: Schema): Def {
  return s._zod.def as unknown as Def;
}

/** Peels wrappers (optional, pipe, lazy, ...) and splits unions; returns the layers seen and the bare schemas. */
function expand(s: Schema, layers: Schema[] = [], out: Schema[] = []): { layers: Schema[]; bare: Schema[] } {
  for (let guard = 0; guard < 32; guard++) {
    layers.push(s);
    const d = defOf(s);
    if (wrappers.has(d.type) && d.innerType) s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = d.in;
    else if (d.type === 'lazy' && d.getter) s = d.getter();
    else if (d.type === 'union' && d.options) {
      for (const o of d.options) expand(o, layers, out);
      return { layers, bare: out };
    } else break;
  }
  out.push(s);
  return { layers, bare: out };
}

function child(s: Schema, seg: PathSegment): Schema | undefined {
  const d = defOf(s);
  if (d.type === 'object' && typeof seg === 'string' && d.shape && Object.hasOwn(d.shape, seg)) return d.shape[seg];
  if (d.type === 'record' && typeof seg === 'string') return d.valueType;
  if (d.type === 'array' && typeof seg === 'number') return d.element;
  return undefined;
}

/** Every schema the value at `path` may have to satisfy, with its wrapper layers. */
function schemasAt(root: Schema, path: readonly PathSegment[]): { layers: Schema[]; bare: Schema[] } {
  let current = expand(root);
  for (const seg of path) {
    const layers: Schema[] = [];
    const bare: Schema[] = [];
    for (const s of current.bare) {
      const c = child(s, seg);
      if (c !== undefined) expand(c, layers, bare);
    }
    current = { layers, bare };
  }
  return current;
}

export function allowedKeysAt(root: Schema, path: readonly PathSegment[]): string[] {
  const keys = new Set<string>();
  for (const s of schemasAt(root, path).bare) {
    const d = defOf(s);
    if (d.type === 'object' && d.shape) for (const k of Object.keys(d.shape)) keys.add(k);
  }
  return [...keys];
}

export function descriptionAt(root: Schema, path: readonly PathSegment[]): string | undefined {
  for (const s of schemasAt(root, path).layers) {
    const description = z.globalRegistry.get(s)?.description;
    if (description !== undefined) return description;
  }
  return undefined;
}

/** What the keys of the object at `path` choose (`processor`), when the schema says. */
export function nounAt(root: Schema, path: readonly PathSegment[]): string | undefined {
  for (const s of schemasAt(root, path).layers) {
    const noun = choiceRegistry.get(s)?.noun;
    if (noun !== undefined) return noun;
  }
  return undefined;
}
