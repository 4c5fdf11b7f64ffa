/**
 * Which records a failed produce request wrote. A Produce response holds one
 * result per partition, and a broker appends every partition it can: one
 * partition refused (a record too large for its topic, say) does not stop
 * the others. kafkajs throws the first partition error alone, so nothing
 * says which records were written. Here the error kafkajs throws (the same
 * one, so kafkajs behaves as before) also carries every partition's result
 * with the records kafkajs put in it: `partitionResults(err)`.
 *
 * kafkajs keeps its request versions in one table per API (as
 * stable-offsets.ts uses); each version's response parse is wrapped.
 */
import { createRequire } from 'node:module';
import type { OutgoingRecord } from '../types.ts';

const require = createRequire(import.meta.url);

interface TopicData {
  topic: string;
  partitions: Array<{ partition: number; messages: OutgoingRecord[] }>;
}
interface ProduceArgs {
  topicData: TopicData[];
}
interface ProduceResponse {
  topics: Array<{ topicName: string; partitions: Array<{ partition: number; errorCode: number }> }>;
}
interface Protocol {
  request: unknown;
  response: { decode: (raw: Buffer) => Promise<unknown>; parse: (data: ProduceResponse) => Promise<unknown> };
}
interface VersionTable {
  protocol: (args: { version: number | string }) => (request: ProduceArgs) => Protocol;
}

/** One partition of a produce request, as the broker answered it. */
export interface PartitionResult {
  topic: string;
  partition: number;
  /** Kafka's error code; 0 when the partition's records were written. */
  errorCode: number;
  /** kafkajs' name for it (`MESSAGE_TOO_LARGE`), and its message. */
  errorType: string;
  errorMessage: string;
  /** The records of the request in this partition, in order: the caller's own objects. */
  records: OutgoingRecord[];
}

const RESULTS = Symbol('sluice.produceResults');

const table = require('kafkajs/src/protocol/requests/produce') as VersionTable;
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as { createErrorFromCode: (code: number) => { type: string; message: string } };

function resultsOf(data: ProduceResponse, request: ProduceArgs): PartitionResult[] {
  return data.topics.flatMap(({ topicName, partitions }) =>
    partitions.map(({ partition, errorCode }) => {
      const sent = request.topicData.find((t) => t.topic === topicName)?.partitions.find((p) => p.partition === partition);
      const error = errorCode === 0 ? undefined : createErrorFromCode(errorCode);
      return { topic: topicName, partition, errorCode, errorType: error?.type ?? 'NONE', errorMessage: error?.message ?? '', records: sent?.messages ?? [] };
    }),
  );
}

/** Every partition's result of the failed produce request behind `err` (through kafkajs' wrappers); undefined if it was none. */
export function partitionResults(err: unknown): PartitionResult[] | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const results = (e as { [RESULTS]?: PartitionResult[] })[RESULTS];
    if (results !== undefined) return results;
  }
  return undefined;
}

let installed = false;

/** Wraps every Produce response version's parse; idempotent. */
export function registerProduceResults(): void {
  if (installed) return;
  installed = true;
  const older = table.protocol;
  table.protocol = (version) => {
    const make = older(version);
    return (request) => {
      const { response, ...rest } = make(request);
      const parse = async (data: ProduceResponse) => {
        try {
          return await response.parse(data);
        } catch (err) {
          if (err instanceof Error) Object.defineProperty(err, RESULTS, { value: resultsOf(data, request) });
          throw err;
        }
      };
      return { ...rest, response: { ...response, parse } };
    };
  };
}
