/**
 * What a dead-letter record carries: the original key, value bytes and headers
 * untouched, plus `sluice.dlq.*` headers that say where it came from and why it
 * failed, so it can be inspected with any Kafka tool and replayed.
 */
import { isSluiceError, type Headers } from '../core/index.ts';
import type { ConsumedRecord, OutgoingRecord } from '../transport/index.ts';

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
  /** File and stdin sources: where the line stood. */
  file?: string;
  line?: number;
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
  if (origin.file !== undefined) headers[`${DLQ_HEADER_PREFIX}original.file`] = origin.file;
  if (origin.line !== undefined) headers[`${DLQ_HEADER_PREFIX}original.line`] = String(origin.line);
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

/** A dead letter as a person or a script reads it back: why it failed, where it came from, its original bytes. */
export interface DeadLetter {
  /** Where the dead letter itself is. */
  topic: string;
  partition: number;
  offset: string;
  stage: string;
  code: string;
  message: string;
  attempts?: number;
  /** Where the record was read: a topic position, or a file and line. */
  original: { topic?: string; partition?: number; offset?: string; file?: string; line?: number; timestamp?: number };
  key: string | null;
  keyEncoding: BytesEncoding;
  value: string | null;
  valueEncoding: BytesEncoding;
  /** What was cut to fit the dead-letter topic (`smallerDeadLetter`): such a record is not the original and must not be replayed as it. */
  truncated?: string;
}

/** Original bytes as UTF-8 text when they are, else base64, so any record survives a JSON line. */
export type BytesEncoding = 'utf8' | 'base64';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function asText(bytes: Buffer | null): { text: string | null; encoding: BytesEncoding } {
  if (bytes === null) return { text: null, encoding: 'utf8' };
  try {
    return { text: utf8.decode(bytes), encoding: 'utf8' };
  } catch {
    return { text: bytes.toString('base64'), encoding: 'base64' };
  }
}

function header(record: ConsumedRecord, name: string): string | undefined {
  return record.headers[`${DLQ_HEADER_PREFIX}${name}`]?.toString('utf8');
}

function integer(text: string | undefined): number | undefined {
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}

/** Reads the `sluice.dlq.*` headers back: the inverse of `deadLetterHeaders`. */
export function readDeadLetter(record: ConsumedRecord): DeadLetter {
  const key = asText(record.key);
  const value = asText(record.value);
  const original: DeadLetter['original'] = {};
  const topic = header(record, 'original.topic');
  if (topic !== undefined) original.topic = topic;
  const partition = integer(header(record, 'original.partition'));
  if (partition !== undefined) original.partition = partition;
  const offset = header(record, 'original.offset');
  if (offset !== undefined) original.offset = offset;
  const file = header(record, 'original.file');
  if (file !== undefined) original.file = file;
  const line = integer(header(record, 'original.line'));
  if (line !== undefined) original.line = line;
  const timestamp = integer(header(record, 'original.timestamp'));
  if (timestamp !== undefined) original.timestamp = timestamp;
  const attempts = integer(header(record, 'attempts'));
  const truncated = header(record, 'truncated');
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    stage: header(record, 'stage') ?? '',
    code: header(record, 'error.code') ?? 'SLUICE_ERR_UNKNOWN',
    message: header(record, 'error.message') ?? '',
    ...(attempts !== undefined ? { attempts } : {}),
    original,
    key: key.text,
    keyEncoding: key.encoding,
    value: value.text,
    valueEncoding: value.encoding,
    ...(truncated !== undefined ? { truncated } : {}),
  };
}
