/**
 * What a dead-letter record carries: the original key, value bytes and headers
 * untouched, plus `sluice.dlq.*` headers that say where it came from and why it
 * failed, so it can be inspected with any Kafka tool and replayed.
 */
import { isSluiceError, type Headers } from '../core/index.ts';
import type { OutgoingRecord } from '../transport/index.ts';

export const DLQ_HEADER_PREFIX = 'sluice.dlq.';
/** On a dead letter cut down to fit its topic: what was cut (`value`, or `value,headers`). */
export const DLQ_TRUNCATED = `${DLQ_HEADER_PREFIX}truncated`;
/** ... and how many bytes the original value had. */
export const DLQ_ORIGINAL_VALUE_BYTES = `${DLQ_HEADER_PREFIX}original.value.bytes`;

export interface DeadLetterOrigin {
  topology: string;
  stage: string;
  topic?: string;
  partition?: number;
  offset?: string;
  timestamp?: number;
  attempts?: number;
}

export function deadLetterHeaders(err: unknown, origin: DeadLetterOrigin, now = Date.now()): Headers {
  const headers: Headers = {
    [`${DLQ_HEADER_PREFIX}topology`]: origin.topology,
    [`${DLQ_HEADER_PREFIX}stage`]: origin.stage,
    [`${DLQ_HEADER_PREFIX}error.code`]: isSluiceError(err) ? err.code : 'SLUICE_ERR_UNKNOWN',
    [`${DLQ_HEADER_PREFIX}error.message`]: truncate(err instanceof Error ? err.message : String(err), 1000),
    [`${DLQ_HEADER_PREFIX}failed.at`]: String(now),
  };
  if (origin.topic !== undefined) headers[`${DLQ_HEADER_PREFIX}original.topic`] = origin.topic;
  if (origin.partition !== undefined) headers[`${DLQ_HEADER_PREFIX}original.partition`] = String(origin.partition);
  if (origin.offset !== undefined) headers[`${DLQ_HEADER_PREFIX}original.offset`] = origin.offset;
  if (origin.timestamp !== undefined) headers[`${DLQ_HEADER_PREFIX}original.timestamp`] = String(origin.timestamp);
  if (origin.attempts !== undefined) headers[`${DLQ_HEADER_PREFIX}attempts`] = String(origin.attempts);
  // A record a broker refused: its own name for why (MESSAGE_TOO_LARGE, INVALID_RECORD, ...).
  if (isSluiceError(err) && typeof err.context.brokerError === 'string') headers[`${DLQ_HEADER_PREFIX}error.broker`] = err.context.brokerError;
  return headers;
}

/**
 * A dead letter its own topic refused (a record too large for its input was
 * too large for the dead-letter topic too), cut down so that what can be
 * kept is: the value halved, with headers saying so; once no value is left,
 * the original headers too (the `sluice.dlq.*` ones stay). Undefined when
 * nothing is left to cut: the caller fails rather than drop the record.
 */
export function smallerDeadLetter(record: OutgoingRecord): OutgoingRecord | undefined {
  const headers = { ...record.headers };
  const value = record.value === null ? null : Buffer.from(record.value);
  if (value !== null && value.length > 0) {
    headers[DLQ_ORIGINAL_VALUE_BYTES] ??= String(value.length);
    headers[DLQ_TRUNCATED] = 'value';
    return { ...record, value: value.subarray(0, Math.floor(value.length / 2)), headers };
  }
  const own = Object.keys(headers).filter((name) => !name.startsWith(DLQ_HEADER_PREFIX));
  if (own.length === 0) return undefined;
  for (const name of own) delete headers[name];
  headers[DLQ_TRUNCATED] = 'value,headers';
  return { ...record, headers };
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
