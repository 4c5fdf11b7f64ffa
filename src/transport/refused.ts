/**
 * Records a broker refuses on their own: too large for the topic
 * (MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE), invalid for it (INVALID_RECORD:
 * a keyless record to a compacted topic; CORRUPT_MESSAGE; INVALID_TIMESTAMP).
 * Sending them again cannot work and must not hold up the records sent with
 * them, so a producer reports them by record, and delivers the others.
 */
import { ErrorCodes, SluiceError, isSluiceError, type ErrorContext } from '../core/index.ts';
import type { OutgoingRecord } from './types.ts';

/** Kafka's error names (kafkajs' `type`) that refuse a record, not the request or the broker. */
export const PER_RECORD_ERRORS: ReadonlySet<string> = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE', 'INVALID_TIMESTAMP']);

/** One record's refusal, with the broker's error name and message. */
export function recordRefused(brokerError: string, brokerMessage: string, context: ErrorContext): SluiceError {
  const where = context.topic !== undefined ? `${context.topic}[${context.partition}]` : 'the topic';
  return new SluiceError(ErrorCodes.RECORD_REFUSED, `${where} refused the record: ${brokerError}: ${brokerMessage}`, {
    context: { ...context, brokerError },
  });
}

export interface Refusal {
  record: OutgoingRecord;
  error: SluiceError;
}

export interface RefusedRecord {
  /** Index of the record in the call that sent it. */
  index: number;
  error: SluiceError;
}

/**
 * `Producer.send` rejected with this: the records listed were refused and
 * nothing else went wrong, every other record of the call is acknowledged.
 * `TransactionalProducer.transact`: nothing of the transaction was written.
 */
export class RecordsRefusedError extends SluiceError {
  readonly refused: readonly RefusedRecord[];

  constructor(refused: readonly RefusedRecord[], total: number) {
    const first = refused[0]!.error;
    super(ErrorCodes.RECORD_REFUSED, `${refused.length} of ${total} records refused; first: ${first.message}`, { context: first.context });
    this.refused = refused;
  }
}

/** The refused records of a rejected send or transaction; undefined for any other failure. */
export function refusedRecords(err: unknown): readonly RefusedRecord[] | undefined {
  return isSluiceError(err) && err.code === ErrorCodes.RECORD_REFUSED && err instanceof RecordsRefusedError ? err.refused : undefined;
}

/** The error for `records` given refusals of some of them (by identity); undefined when none of them was refused. */
export function refusalOf(records: readonly OutgoingRecord[], refusals: readonly Refusal[]): RecordsRefusedError | undefined {
  if (refusals.length === 0) return undefined;
  const index = new Map<OutgoingRecord, number>();
  for (let i = 0; i < records.length; i++) index.set(records[i]!, i);
  const mine: RefusedRecord[] = [];
  for (const { record, error } of refusals) {
    const i = index.get(record);
    if (i !== undefined) mine.push({ index: i, error });
  }
  return mine.length > 0 ? new RecordsRefusedError(mine.sort((a, b) => a.index - b.index), records.length) : undefined;
}

/**
 * The refused records among `records` (one partition's, in order, which the
 * partition refused with `error`): halves are sent again through `probe`,
 * which resolves the partition's refusal of them, or undefined when it took
 * them, until each refused record stands alone.
 */
export async function isolateRefused(
  records: readonly OutgoingRecord[],
  error: SluiceError,
  probe: (part: OutgoingRecord[]) => Promise<SluiceError | undefined>,
): Promise<Refusal[]> {
  if (records.length === 1) return [{ record: records[0]!, error }];
  const half = Math.ceil(records.length / 2);
  const refusals: Refusal[] = [];
  for (const part of [records.slice(0, half), records.slice(half)]) {
    const refused = await probe(part);
    if (refused !== undefined) refusals.push(...(await isolateRefused(part, refused, probe)));
  }
  return refusals;
}
