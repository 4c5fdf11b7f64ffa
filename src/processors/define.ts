/**
 * The contract between sluice and user code. A user module exports a function
 * wrapped by `defineProcessor` (or an aggregator made by `defineAggregator`);
 * the wrapper only brands the value so the loader can tell a processor from an
 * aggregator, or from a stray export, before any record flows.
 */
import { ErrorCodes, SluiceError, type Headers, type Logger } from '../core/index.ts';

/** What a processor may know about the record it is given, besides its value. */
export interface ProcessorContext {
  readonly key: Buffer | string | null;
  readonly headers: Readonly<Headers>;
  readonly timestamp: number;
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: string;
  /** The node the processor runs in. */
  readonly stage: string;
  readonly logger: Logger;
}

/** A value with its own key, headers or timestamp, for processors that re-key or re-time what they emit. */
export class Emit<V> {
  constructor(
    readonly value: V,
    readonly key?: Buffer | string | null,
    readonly headers?: Headers,
    readonly timestamp?: number,
  ) {}
}

export function emit<V>(
  value: V,
  init: { key?: Buffer | string | null; headers?: Headers; timestamp?: number } = {},
): Emit<V> {
  return new Emit(value, init.key, init.headers, init.timestamp);
}

/** One output per input, none (null/undefined/[]) to drop, or an array for many. */
export type ProcessorOutput<Out> = Out | Emit<Out> | ReadonlyArray<Out | Emit<Out>> | null | undefined;

export type ProcessorFn<In, Out> = (
  value: In,
  ctx: ProcessorContext,
) => ProcessorOutput<Out> | Promise<ProcessorOutput<Out>>;

/**
 * Marks a failure as one a later try may not have: a service the processor
 * calls is away, a rate limit, a timeout. `throw retriable(err)` makes the
 * stage call the processor again for the same record with the node's
 * `retries:` backoff before it dead-letters the record; anything else a
 * processor throws is dead-lettered at once. Its code is the cause's, if the
 * cause is a SluiceError, else SLUICE_ERR_PROCESSOR.
 */
export function retriable(cause: unknown, message?: string): SluiceError {
  const known = cause instanceof SluiceError ? cause : undefined;
  return new SluiceError(known?.code ?? ErrorCodes.PROCESSOR, message ?? (cause instanceof Error ? cause.message : String(cause)), {
    cause,
    retriable: true,
    context: known?.context ?? {},
  });
}

const processorBrand = Symbol.for('sluice.processor');
const aggregatorBrand = Symbol.for('sluice.aggregator');

export type Processor<In = unknown, Out = unknown> = ProcessorFn<In, Out> & { readonly [processorBrand]: true };

/**
 * Marks `fn` as a sluice processor. The brand is a registered symbol, so a
 * module that resolved its own copy of sluice is still recognised.
 */
export function defineProcessor<In, Out = In>(fn: ProcessorFn<In, Out>): Processor<In, Out> {
  if (typeof fn !== 'function') throw new TypeError('defineProcessor expects a function');
  return Object.defineProperty(fn, processorBrand, { value: true }) as Processor<In, Out>;
}

export function isProcessor(value: unknown): value is Processor {
  return typeof value === 'function' && (value as { [processorBrand]?: unknown })[processorBrand] === true;
}

export interface AggregatorSpec<In, Acc, Out> {
  /** A fresh accumulator for a new window and key. */
  init: () => Acc;
  /**
   * May update `acc` in place and return it, but must leave it as it was when it throws: between
   * commits `acc` is the state store's own object, not a copy. Accumulators are plain data the store
   * can serialize (structured clone).
   */
  add: (acc: Acc, value: In) => Acc;
  result: (acc: Acc) => Out;
  /** Combines two accumulators (session merges, parallel partials); optional. */
  merge?: (a: Acc, b: Acc) => Acc;
}

export type Aggregator<In = unknown, Acc = unknown, Out = unknown> = Readonly<AggregatorSpec<In, Acc, Out>> & {
  readonly [aggregatorBrand]: true;
};

export function defineAggregator<In, Acc, Out = Acc>(spec: AggregatorSpec<In, Acc, Out>): Aggregator<In, Acc, Out> {
  for (const name of ['init', 'add', 'result'] as const) {
    if (typeof spec[name] !== 'function') throw new TypeError(`defineAggregator: \`${name}\` must be a function`);
  }
  if (spec.merge !== undefined && typeof spec.merge !== 'function') {
    throw new TypeError('defineAggregator: `merge` must be a function when given');
  }
  return Object.freeze({ ...spec, [aggregatorBrand]: true as const });
}

export function isAggregator(value: unknown): value is Aggregator {
  return typeof value === 'object' && value !== null && (value as { [aggregatorBrand]?: unknown })[aggregatorBrand] === true;
}
