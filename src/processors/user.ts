/**
 * Turns a user processor into a record-to-records function with the same
 * shape as a compiled built-in step. Synchronous processors stay synchronous,
 * so a stream need not await a promise per record when no I/O happens.
 */
import { ErrorCodes, SluiceError, toSluiceError, type Logger, type SluiceRecord } from '../core/index.ts';
import { Emit, type Processor, type ProcessorContext, type ProcessorOutput } from './define.ts';

export type UserStep = (record: SluiceRecord) => SluiceRecord[] | Promise<SluiceRecord[]>;

function toRecord(input: SluiceRecord, out: unknown): SluiceRecord {
  if (out instanceof Emit) {
    return {
      ...input,
      value: out.value,
      key: out.key !== undefined ? out.key : input.key,
      headers: out.headers ?? input.headers,
      timestamp: out.timestamp ?? input.timestamp,
    };
  }
  return { ...input, value: out };
}

function toRecords(input: SluiceRecord, result: ProcessorOutput<unknown>): SluiceRecord[] {
  if (result === null || result === undefined) return [];
  if (!Array.isArray(result)) return [toRecord(input, result)];
  const out: SluiceRecord[] = [];
  for (const item of result) {
    if (item !== null && item !== undefined) out.push(toRecord(input, item));
  }
  return out;
}

function failure(err: unknown, stage: string): SluiceError {
  return err instanceof SluiceError ? err.withContext({ stage }) : toSluiceError(err, ErrorCodes.PROCESSOR, { stage });
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * Wraps `fn` for stage `stage`. A returned array means many records; null,
 * undefined or an empty array drop the record. Errors become
 * SLUICE_ERR_PROCESSOR with the stage in their context.
 */
export function wrapProcessor(fn: Processor, stage: string, logger: Logger): UserStep {
  return (record) => {
    const ctx: ProcessorContext = {
      key: record.key,
      headers: record.headers,
      timestamp: record.timestamp,
      ...(record.topic !== undefined ? { topic: record.topic } : {}),
      ...(record.partition !== undefined ? { partition: record.partition } : {}),
      ...(record.offset !== undefined ? { offset: record.offset } : {}),
      stage,
      logger,
    };
    let result: ReturnType<Processor>;
    try {
      result = fn(record.value, ctx);
    } catch (err) {
      throw failure(err, stage);
    }
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        (r) => toRecords(record, r as ProcessorOutput<unknown>),
        (err: unknown) => {
          throw failure(err, stage);
        },
      );
    }
    return toRecords(record, result);
  };
}
