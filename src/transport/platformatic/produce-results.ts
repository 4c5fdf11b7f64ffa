/**
 * Which records a failed `send` of @platformatic/kafka wrote. The client
 * sends one Produce request per leader and a broker appends every partition
 * it can, so one partition refused (a record too large for its topic, say)
 * leaves the others of its request written, and the requests to other
 * leaders too. The client's error says so, if one reads all of it: each
 * refused request fails with a `ResponseError` holding the whole answer
 * (every partition's error code) and a `ProtocolError` per refused partition
 * (path `/responses/i/partition_responses/j`), and the requests that went
 * through are listed in the error's `produced.offsets`.
 */
import { ProtocolError, ResponseError } from '@platformatic/kafka';
import type { SluiceError } from '../../core/index.ts';
import { partitionKey } from '../assignment.ts';
import { PER_RECORD_ERRORS, recordRefused } from '../refused.ts';
import type { OutgoingRecord } from '../types.ts';
import { errorTree } from './errors.ts';

/** One partition of a failed send whose fate is known: written, or refused for reasons of its records' own. */
export interface PartitionOutcome {
  topic: string;
  partition: number;
  /** The send's records in this partition, in order: the caller's own objects. */
  records: OutgoingRecord[];
  /** Why the partition refused them (nothing of them written); undefined when they were written. */
  refused: SluiceError | undefined;
}

interface ProduceAnswer {
  responses: Array<{ name: string; partitionResponses: Array<{ index: number; errorCode: number }> }>;
}

interface Produced {
  produced?: { offsets?: Array<{ topic: string; partition: number }> };
}

const PARTITION_ERROR = /^\/responses\/(\d+)\/partition_responses\/(\d+)$/;

function produceAnswer(err: ResponseError): ProduceAnswer | undefined {
  const response = (err as ResponseError & { response?: unknown }).response as Partial<ProduceAnswer> | undefined;
  return Array.isArray(response?.responses) && response.responses.every((t) => Array.isArray(t.partitionResponses)) ? (response as ProduceAnswer) : undefined;
}

/**
 * The partitions of a failed send (`records[i]` went to `partitions[i]`) whose
 * fate is known, when it failed only because some of them refused records of
 * their own; undefined for any other failure. Partitions left out were in a
 * request that failed otherwise (a leader away): nothing says whether they
 * were written.
 */
export function produceOutcomes(err: unknown, records: readonly OutgoingRecord[], partitions: readonly number[]): PartitionOutcome[] | undefined {
  const written = new Set<string>();
  const refused = new Map<string, SluiceError>();
  for (const { topic, partition } of (err as Produced | undefined)?.produced?.offsets ?? []) written.add(partitionKey(topic, partition));
  for (const e of errorTree(err)) {
    if (!(e instanceof ResponseError)) continue;
    const answer = produceAnswer(e);
    if (answer === undefined) continue;
    for (const t of answer.responses) for (const p of t.partitionResponses) if (p.errorCode === 0) written.add(partitionKey(t.name, p.index));
    for (const child of e.errors) {
      const at = child instanceof ProtocolError ? PARTITION_ERROR.exec((child as ProtocolError & { path?: string }).path ?? '') : null;
      if (at === null) continue;
      const topic = answer.responses[Number(at[1])]!.name;
      const partition = answer.responses[Number(at[1])]!.partitionResponses[Number(at[2])]!.index;
      const { apiId, apiCode } = child as ProtocolError & { apiId: string; apiCode: number };
      // A partition refused for anything but its records' own reasons fails the whole send.
      if (!PER_RECORD_ERRORS.has(apiId)) return undefined;
      refused.set(partitionKey(topic, partition), recordRefused(apiId, child.message, { topic, partition, brokerErrorCode: apiCode }));
    }
  }
  if (refused.size === 0) return undefined;
  const outcomes = new Map<string, PartitionOutcome>();
  records.forEach((record, i) => {
    const partition = partitions[i]!;
    const key = partitionKey(record.topic, partition);
    if (!written.has(key) && !refused.has(key)) return;
    let outcome = outcomes.get(key);
    if (outcome === undefined) {
      outcome = { topic: record.topic, partition, records: [], refused: written.has(key) ? undefined : refused.get(key) };
      outcomes.set(key, outcome);
    }
    outcome.records.push(record);
  });
  return [...outcomes.values()];
}
