/**
 * Built-in steps compiled once from their config into functions from one
 * record to zero or more records. The work done per record is a loop over
 * precomputed field lists; no closures are created per record.
 */
import { ErrorCodes, SluiceError, type SluiceRecord } from '../core/index.ts';
import { compileFieldPath, dataField } from './field.ts';
import { compilePredicate } from './predicate.ts';
import type { BuiltinStep, MapSpec } from './steps.ts';

export type CompiledStep = (record: SluiceRecord) => SluiceRecord[];

/** Shared by every step that drops a record; frozen so no caller can fill it. */
const NONE: SluiceRecord[] = Object.freeze([]) as unknown as SluiceRecord[];

type Fields = Record<string, unknown>;

/**
 * A copy of `r` with another value or key. Written as a literal of fixed
 * shape, which V8 builds far faster than an object spread on this path.
 */
function withValue(r: SluiceRecord, value: unknown): SluiceRecord {
  return { key: r.key, value, headers: r.headers, timestamp: r.timestamp, topic: r.topic, partition: r.partition, offset: r.offset };
}

function withKey(r: SluiceRecord, key: string | null): SluiceRecord {
  return { key, value: r.value, headers: r.headers, timestamp: r.timestamp, topic: r.topic, partition: r.partition, offset: r.offset };
}

function objectValue(record: SluiceRecord, what: string): Fields {
  const v = record.value;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new SluiceError(ErrorCodes.PROCESSOR, `${what} expects an object value, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`);
  }
  return v as Fields;
}

function compileMap(spec: MapSpec): CompiledStep {
  const pick = spec.pick;
  const drop = spec.drop ?? [];
  // Parallel arrays, so the loop below indexes instead of destructuring pairs.
  const renameFrom = Object.keys(spec.rename ?? {});
  const renameTo = Object.values(spec.rename ?? {});
  const setKeys = Object.keys(spec.set ?? {});
  const setValues = Object.values(spec.set ?? {});
  return (record) => {
    const src = objectValue(record, 'map');
    let out: Fields;
    if (pick !== undefined) {
      out = {};
      for (let i = 0; i < pick.length; i++) {
        const k = pick[i] as string;
        const v = dataField(src, k);
        if (v !== undefined) out[k] = v;
      }
    } else {
      out = Object.assign({}, src);
    }
    for (let i = 0; i < drop.length; i++) delete out[drop[i] as string];
    for (let i = 0; i < renameFrom.length; i++) {
      const from = renameFrom[i] as string;
      if (Object.hasOwn(out, from)) {
        out[renameTo[i] as string] = out[from];
        delete out[from];
      }
    }
    for (let i = 0; i < setKeys.length; i++) out[setKeys[i] as string] = setValues[i];
    return [withValue(record, out)];
  };
}

function compileFlatMap(field: string, as: string | undefined): CompiledStep {
  const get = compileFieldPath(field);
  const top = field.split('.')[0] as string;
  return (record) => {
    const items = get(objectValue(record, 'flatMap'));
    if (!Array.isArray(items)) {
      throw new SluiceError(ErrorCodes.PROCESSOR, `flatMap: field \`${field}\` is ${items === undefined ? 'missing' : 'not an array'}`);
    }
    const out: SluiceRecord[] = new Array(items.length);
    for (let i = 0; i < items.length; i++) {
      let value: unknown = items[i];
      if (as !== undefined) {
        const rest: Fields = Object.assign({}, record.value as Fields);
        delete rest[top];
        rest[as] = items[i];
        value = rest;
      }
      out[i] = withValue(record, value);
    }
    return out;
  };
}

function keyOf(v: unknown, field: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  throw new SluiceError(ErrorCodes.PROCESSOR, `key: field \`${field}\` is ${Array.isArray(v) ? 'an array' : 'an object'}, not a scalar`);
}

/** Compiles a built-in step; user `module` steps are loaded with loadProcessorModule instead. */
export function compileProcessor(step: BuiltinStep): CompiledStep {
  switch (step.kind) {
    case 'filter': {
      const test = compilePredicate(step.predicate);
      return (record) => (test(record.value) ? [record] : NONE);
    }
    case 'map':
      return compileMap(step);
    case 'flatMap':
      return compileFlatMap(step.field, step.as);
    case 'key': {
      const get = compileFieldPath(step.field);
      return (record) => [withKey(record, keyOf(get(record.value), step.field))];
    }
  }
}

/** Runs compiled steps in order, feeding each one's output to the next. */
export function chainSteps(steps: readonly CompiledStep[]): CompiledStep {
  if (steps.length === 0) return (record) => [record];
  if (steps.length === 1) return steps[0] as CompiledStep;
  return (record) => {
    let batch: SluiceRecord[] = [record];
    for (let s = 0; s < steps.length && batch.length > 0; s++) {
      const step = steps[s] as CompiledStep;
      if (batch.length === 1) {
        batch = step(batch[0] as SluiceRecord);
        continue;
      }
      const next: SluiceRecord[] = [];
      for (let i = 0; i < batch.length; i++) {
        const produced = step(batch[i] as SluiceRecord);
        for (let j = 0; j < produced.length; j++) next.push(produced[j] as SluiceRecord);
      }
      batch = next;
    }
    return batch;
  };
}
