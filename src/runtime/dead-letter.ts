/**
 * What a dead-letter record carries: the original key, value bytes and headers
 * untouched, plus `sluice.dlq.*` headers that say where it came from and why it
 * failed, so it can be inspected with any Kafka tool and replayed.
 */
import { isSluiceError, type Headers } from '../core/index.ts';

export const DLQ_HEADER_PREFIX = 'sluice.dlq.';

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
  return headers;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
