/**
 * What a dead-letter record carries: the original key, value bytes and headers
 * untouched, plus `sluice.dlq.*` headers that say where it came from and why it
 * failed, so it can be inspected with any Kafka tool and replayed.
 */
import { isSluiceError, type Headers } from '../core/index.ts';
import type { ConsumedRecord, HeaderBytes, OutgoingRecord } from '../transport/index.ts';

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
  topology?: string;
  stage: string;
  code: string;
  message: string;
  /** The broker's own name for why it refused the record (MESSAGE_TOO_LARGE, ...). */
  brokerError?: string;
  /** When it failed (ms since the epoch); lines written before sluice kept it have none. */
  failedAt?: number;
  attempts?: number;
  /** Where the record was read: a topic position, or a file and line; `valueBytes` is the size of a value cut to fit. */
  original: { topic?: string; partition?: number; offset?: string; file?: string; line?: number; timestamp?: number; valueBytes?: number };
  key: string | null;
  keyEncoding: BytesEncoding;
  value: string | null;
  valueEncoding: BytesEncoding;
  /** The record's own headers (not `sluice.dlq.*`); lines written before sluice kept them have none. */
  headers?: Record<string, EncodedBytes>;
  /** What was cut to fit the dead-letter topic (`smallerDeadLetter`): such a record is not the original and must not be replayed as it. */
  truncated?: string;
}

/** Original bytes as UTF-8 text when they are, else base64, so any record survives a JSON line. */
export type BytesEncoding = 'utf8' | 'base64';

export interface EncodedBytes {
  text: string;
  encoding: BytesEncoding;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function asText(bytes: Buffer): EncodedBytes {
  try {
    return { text: utf8.decode(bytes), encoding: 'utf8' };
  } catch {
    return { text: bytes.toString('base64'), encoding: 'base64' };
  }
}

function asBytes(text: string, encoding: BytesEncoding): Buffer {
  return Buffer.from(text, encoding === 'base64' ? 'base64' : 'utf8');
}

type Kind = 'text' | 'integer';
/** A field of the dead letter itself, or of its `original`. */
type Place = 'top' | 'original';
type Field = 'topology' | 'stage' | 'code' | 'message' | 'brokerError' | 'failedAt' | 'attempts' | 'truncated' | keyof DeadLetter['original'];

/**
 * Where a `DeadLetter` keeps each `sluice.dlq.*` header: one table for both
 * directions, so a line read back is the record it was read from.
 */
const FIELDS: ReadonlyArray<readonly [header: string, place: Place, field: Field, kind: Kind]> = [
  ['topology', 'top', 'topology', 'text'],
  ['stage', 'top', 'stage', 'text'],
  ['error.code', 'top', 'code', 'text'],
  ['error.message', 'top', 'message', 'text'],
  ['error.broker', 'top', 'brokerError', 'text'],
  ['failed.at', 'top', 'failedAt', 'integer'],
  ['attempts', 'top', 'attempts', 'integer'],
  ['truncated', 'top', 'truncated', 'text'],
  ['original.topic', 'original', 'topic', 'text'],
  ['original.partition', 'original', 'partition', 'integer'],
  ['original.offset', 'original', 'offset', 'text'],
  ['original.file', 'original', 'file', 'text'],
  ['original.line', 'original', 'line', 'integer'],
  ['original.timestamp', 'original', 'timestamp', 'integer'],
  ['original.value.bytes', 'original', 'valueBytes', 'integer'],
];

function fieldsOf(record: ConsumedRecord, place: Place): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [name, at, field, kind] of FIELDS) {
    const text = at === place ? record.headers[`${DLQ_HEADER_PREFIX}${name}`]?.toString('utf8') : undefined;
    const value = kind === 'text' || text === undefined ? text : /^\d+$/.test(text) ? Number(text) : undefined;
    if (value !== undefined) out[field] = value;
  }
  return out;
}

function headersOf(d: DeadLetter): HeaderBytes {
  const out: HeaderBytes = {};
  for (const [name, place, field] of FIELDS) {
    const value = ((place === 'top' ? d : d.original) as Record<string, string | number | undefined>)[field];
    if (value !== undefined) out[`${DLQ_HEADER_PREFIX}${name}`] = Buffer.from(String(value));
  }
  return out;
}

/** Reads the `sluice.dlq.*` headers back, and keeps the record's own: the inverse of `deadLetterHeaders`. */
export function readDeadLetter(record: ConsumedRecord): DeadLetter {
  const key = record.key === null ? null : asText(record.key);
  const value = record.value === null ? null : asText(record.value);
  const headers: Record<string, EncodedBytes> = {};
  for (const [name, bytes] of Object.entries(record.headers)) if (!name.startsWith(DLQ_HEADER_PREFIX)) headers[name] = asText(bytes);
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    stage: '',
    code: 'SLUICE_ERR_UNKNOWN',
    message: '',
    ...(fieldsOf(record, 'top') as Partial<DeadLetter>),
    original: fieldsOf(record, 'original') as DeadLetter['original'],
    key: key?.text ?? null,
    keyEncoding: key?.encoding ?? 'utf8',
    value: value?.text ?? null,
    valueEncoding: value?.encoding ?? 'utf8',
    headers,
  };
}

/**
 * A dead letter read back as the record it was on its topic: the inverse of
 * `readDeadLetter`, so a file's dead letters are redriven as the topic's are.
 */
export function deadLetterRecord(d: DeadLetter): ConsumedRecord {
  const headers: HeaderBytes = {};
  for (const [name, { text, encoding }] of Object.entries(d.headers ?? {})) headers[name] = asBytes(text, encoding);
  return {
    key: d.key === null ? null : asBytes(d.key, d.keyEncoding),
    value: d.value === null ? null : asBytes(d.value, d.valueEncoding),
    headers: { ...headers, ...headersOf(d) },
    // The dead-letter writer gives a dead letter its record's timestamp.
    timestamp: d.original.timestamp ?? 0,
    topic: d.topic,
    partition: d.partition,
    offset: d.offset,
  };
}
