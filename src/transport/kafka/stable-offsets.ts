/**
 * OffsetFetch v7 with `require_stable` (KIP-447) for kafkajs, which stops at
 * v4. Without it the broker answers an offset fetch with the last *stable*
 * committed offset even while a transaction that moves it is completing, so
 * the next owner of a partition taken over from an exactly-once stage can
 * start from before that transaction's input and write its outputs again.
 * With it the broker answers UNSTABLE_OFFSET_COMMIT (retriable) until the
 * transaction has finished, as the Java consumer asks under read_committed.
 *
 * kafkajs keeps its request versions in one table per API and picks the
 * highest the broker supports, so adding v7 there makes every offset fetch
 * of this process stable: the consumer's own on joining, and the admin's.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface Encoder {
  writeInt32(v: number): Encoder;
  writeBoolean(v: boolean): Encoder;
  writeUVarIntString(v: string): Encoder;
  writeUVarIntBytes(v?: Buffer): Encoder;
  writeUVarIntArray(v: Encoder[] | null): Encoder;
}
interface Decoder {
  readInt16(): number;
  readInt32(): number;
  readInt64(): { toString(): string };
  readUVarIntString(): string | null;
  readUVarIntArray<T>(read: (d: Decoder) => T): T[] | null;
  readTaggedFields(): void;
}
interface OffsetFetchArgs {
  groupId: string;
  topics: Array<{ topic: string; partitions: Array<{ partition: number }> }> | null;
}
interface PartitionResponse {
  partition: number;
  offset: string;
  metadata: string | null;
  errorCode: number;
}
interface Decoded {
  throttleTime: number;
  clientSideThrottleTime: number;
  responses: Array<{ topic: string; partitions: PartitionResponse[] }>;
  errorCode: number;
}
interface VersionTable {
  versions: string[];
  protocol: (args: { version: number | string }) => (request: OffsetFetchArgs) => unknown;
}

const STABLE_VERSION = 7;
const EncoderClass = require('kafkajs/src/protocol/encoder') as new () => Encoder;
const DecoderClass = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => Decoder;
const { OffsetFetch: apiKey } = require('kafkajs/src/protocol/requests/apiKeys') as { OffsetFetch: number };
// v2's parse throws the first top-level or partition error, which is what v7 needs too.
const { parse } = require('kafkajs/src/protocol/requests/offsetFetch/v2/response') as { parse: (d: Decoded) => Promise<Decoded> };
const table = require('kafkajs/src/protocol/requests/offsetFetch') as VersionTable;

/** Flexible versions: the request header carries an (empty) tagged-field buffer, which kafkajs leaves to the body. */
function request({ groupId, topics }: OffsetFetchArgs) {
  return {
    apiKey,
    apiVersion: STABLE_VERSION,
    apiName: 'OffsetFetch',
    encode: async () =>
      new EncoderClass()
        .writeUVarIntBytes()
        .writeUVarIntString(groupId)
        .writeUVarIntArray(
          topics === null
            ? null
            : topics.map(({ topic, partitions }) =>
                new EncoderClass()
                  .writeUVarIntString(topic)
                  .writeUVarIntArray(partitions.map(({ partition }) => new EncoderClass().writeInt32(partition)))
                  .writeUVarIntBytes(),
              ),
        )
        .writeBoolean(true)
        .writeUVarIntBytes(),
  };
}

function readPartition(d: Decoder): PartitionResponse {
  const partition = d.readInt32();
  const offset = d.readInt64().toString();
  d.readInt32(); // committed leader epoch
  const metadata = d.readUVarIntString();
  const errorCode = d.readInt16();
  d.readTaggedFields();
  return { partition, offset, metadata, errorCode };
}

function readTopic(d: Decoder): { topic: string; partitions: PartitionResponse[] } {
  const topic = d.readUVarIntString() ?? '';
  const partitions = d.readUVarIntArray(readPartition) ?? [];
  d.readTaggedFields();
  return { topic, partitions };
}

async function decode(raw: Buffer): Promise<Decoded> {
  const d = new DecoderClass(raw);
  d.readTaggedFields(); // response header
  const throttleTime = d.readInt32();
  const responses = d.readUVarIntArray(readTopic) ?? [];
  const errorCode = d.readInt16();
  return { throttleTime: 0, clientSideThrottleTime: throttleTime, responses, errorCode };
}

let installed = false;

/** Adds OffsetFetch v7 (require_stable) to kafkajs' version table; idempotent. */
export function registerStableOffsetFetch(): void {
  if (installed) return;
  installed = true;
  const older = table.protocol;
  table.protocol = ({ version }) =>
    Number(version) === STABLE_VERSION ? (args: OffsetFetchArgs) => ({ request: request(args), response: { decode, parse } }) : older({ version });
  table.versions.push(String(STABLE_VERSION));
}
