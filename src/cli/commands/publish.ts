/**
 * `sluice publish`: newline-delimited JSON (a file or stdin) to a topic. Each
 * line is parsed, checked against the schema and encoded; a line that fails
 * is reported with its line number and written to the rejects file, and the
 * rest go through. A summary line always ends the run; the exit code is 1
 * when any line was rejected or any record was not acknowledged.
 */
import { createWriteStream, statSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { ErrorCodes, SluiceError, createLogger, toSluiceError, type Logger } from '../../core/index.ts';
import { KeyRing } from '../../codecs/index.ts';
import type { Envelope } from '../../runtime/envelope.ts';
import { createPublisher, type Publisher } from '../../runtime/publisher.ts';
import { createFileLineSource, createStdinLineSource } from '../../runtime/sources/lines.ts';
import type { KafkaSecurity, OutgoingRecord } from '../../transport/index.ts';
import { formatError } from '../errors.ts';
import { wholeNumber } from '../numbers.ts';
import { requireBrokers } from './cluster.ts';
import type { RegisterCommand } from './index.ts';
import { connectionOf, warnOnStderr, type KafkaSecurityFlags } from './kafka-security.ts';

export interface PublishCommandOptions {
  file?: string;
  brokers: string[];
  topic: string;
  schema?: string;
  key?: string;
  codec?: string;
  /** Records per second; none means as fast as the broker acknowledges. */
  rate?: number;
  rejects?: string;
  partitions?: number;
  headers?: Record<string, string>;
  /** Schema registry URL for `avro-confluent`. */
  schemaRegistry?: string;
  /** aes-gcm keys file; else the SLUICE_KEYS environment variable when the chain needs keys. */
  keysFile?: string;
  security?: KafkaSecurity;
}

export interface PublishIo {
  stdin: NodeJS.ReadableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  logger: Logger;
}

export interface PublishReport {
  /** Lines that parsed and encoded. */
  valid: number;
  acknowledged: number;
  rejected: number;
  seconds: number;
  rejectsFile: string | undefined;
}

/** Rejected lines printed on stderr before the rest only go to the rejects file. */
const SHOWN_REJECTS = 20;

/** Past this a pace means nothing: the publisher cannot go near it. */
const MAX_RATE = 100_000_000;

export function parseRate(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*s)?\s*$/.exec(text);
  const rate = match === null ? NaN : Number(match[1]);
  if (!(rate > 0) || rate > MAX_RATE) {
    throw new SluiceError(ErrorCodes.CLI_USAGE, `--rate wants records per second, like 500 or 500/s (got "${text}")`);
  }
  return rate;
}

export function parseHeader(text: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new SluiceError(ErrorCodes.CLI_USAGE, `--header wants name=value (got "${text}")`);
  return { ...previous, [text.slice(0, eq)]: text.slice(eq + 1) };
}

/** Writes rejected lines as JSON (line, code, error, the input as given), opening the file on the first one. */
class Rejects {
  readonly path: string;
  count = 0;
  #out: WriteStream | undefined;
  readonly #stderr: NodeJS.WritableStream;
  readonly #where: string;

  constructor(path: string, where: string, stderr: NodeJS.WritableStream) {
    this.path = path;
    this.#where = where;
    this.#stderr = stderr;
  }

  async add(line: number, input: string, err: SluiceError): Promise<void> {
    this.count++;
    if (this.count <= SHOWN_REJECTS) {
      this.#stderr.write(formatError(err.withContext({ file: this.#where, line })) + '\n');
    }
    this.#out ??= createWriteStream(this.path, { flags: 'w' });
    if (!this.#out.write(JSON.stringify({ line, code: err.code, error: err.message, input }) + '\n')) {
      await once(this.#out, 'drain');
    }
  }

  async close(): Promise<void> {
    if (this.count > SHOWN_REJECTS) {
      this.#stderr.write(`sluice: ${this.count - SHOWN_REJECTS} more rejected lines are in ${this.path}\n`);
    }
    if (this.#out === undefined) return;
    this.#out.end();
    await once(this.#out, 'close');
  }
}

/** Lines → records: parse, check, encode; rejects go aside; a steady pace when a rate is set. */
class LinesToRecords extends Transform {
  valid = 0;
  bytes = 0;
  readonly #publisher: Publisher;
  readonly #rejects: Rejects;
  readonly #rate: number | undefined;
  #started = 0;

  constructor(publisher: Publisher, rejects: Rejects, rate: number | undefined) {
    super({ objectMode: true, highWaterMark: 1_000 });
    this.#publisher = publisher;
    this.#rejects = rejects;
    this.#rate = rate;
  }

  override _transform(envelope: Envelope, _encoding: BufferEncoding, callback: TransformCallback): void {
    const text = envelope.record.value as string;
    const line = envelope.origin.line ?? 0;
    this.bytes += Buffer.byteLength(text) + 1;
    let record: OutgoingRecord;
    try {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        throw new SluiceError(ErrorCodes.RECORD_INVALID, `malformed JSON: ${(err as Error).message}`, { cause: err });
      }
      record = this.#publisher.toRecord(value);
    } catch (err) {
      this.#rejects.add(line, text, toSluiceError(err, ErrorCodes.RECORD_INVALID)).then(() => callback(), callback);
      return;
    }
    this.valid++;
    if (this.#rate === undefined) {
      callback(null, record);
      return;
    }
    if (this.#started === 0) this.#started = performance.now();
    const wait = this.#started + ((this.valid - 1) * 1_000) / this.#rate - performance.now();
    if (wait < 1) callback(null, record);
    else sleep(wait).then(() => callback(null, record), callback);
  }
}

function progressBar(io: PublishIo, totalBytes: number | undefined): cliProgress.SingleBar | undefined {
  if (io.stderr.isTTY !== true) return undefined;
  const bar = new cliProgress.SingleBar(
    {
      stream: io.stderr as NodeJS.WritableStream as NodeJS.WriteStream,
      format:
        totalBytes === undefined
          ? 'publishing {sent} sent | {rejected} rejected | {rps} records/s'
          : 'publishing [{bar}] {percentage}% | {sent} sent | {rejected} rejected | {rps} records/s',
      hideCursor: true,
      clearOnComplete: true,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(totalBytes ?? 0, 0, { sent: 0, rejected: 0, rps: 0 });
  return bar;
}

export async function runPublish(options: PublishCommandOptions, io: PublishIo): Promise<PublishReport> {
  const started = performance.now();
  const where = options.file ?? 'stdin';
  const rejects = new Rejects(options.rejects ?? `${options.file ?? 'stdin'}.rejects.ndjson`, where, io.stderr);
  const needsKeys = (options.codec ?? '').split('|').some((step) => step.trim() === 'aes-gcm');
  const keys = options.keysFile !== undefined ? await KeyRing.fromFile(options.keysFile) : needsKeys ? KeyRing.fromEnv() : undefined;
  const publisher = await createPublisher({
    brokers: options.brokers,
    ...(options.security === undefined ? {} : { security: options.security }),
    topic: options.topic,
    logger: io.logger,
    ...(options.schema === undefined ? {} : { schema: options.schema }),
    ...(options.key === undefined ? {} : { key: options.key }),
    ...(options.codec === undefined ? {} : { codec: options.codec }),
    ...(options.partitions === undefined ? {} : { partitions: options.partitions }),
    ...(options.headers === undefined ? {} : { headers: options.headers }),
    ...(keys === undefined ? {} : { keys }),
    ...(options.schemaRegistry === undefined ? {} : { schemaRegistry: { url: options.schemaRegistry } }),
  });
  const source: Readable = options.file === undefined ? createStdinLineSource(io.stdin) : createFileLineSource(options.file, { name: options.file });
  const lines = new LinesToRecords(publisher, rejects, options.rate);
  const bar = progressBar(io, options.file === undefined ? undefined : statSync(options.file).size);
  const ticker =
    bar === undefined
      ? undefined
      : setInterval(() => {
          const seconds = (performance.now() - started) / 1_000;
          bar.update(lines.bytes, {
            sent: publisher.acknowledged,
            rejected: rejects.count,
            rps: Math.round(publisher.acknowledged / Math.max(seconds, 0.001)),
          });
        }, 200);
  let failure: unknown;
  try {
    await pipeline(source, lines, publisher.sink());
  } catch (err) {
    failure = err;
  }
  if (ticker !== undefined) clearInterval(ticker);
  bar?.stop();
  const closing = await Promise.allSettled([publisher.close(), rejects.close()]);
  failure ??= closing.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason;

  const seconds = (performance.now() - started) / 1_000;
  const report: PublishReport = {
    valid: lines.valid,
    acknowledged: publisher.acknowledged,
    rejected: rejects.count,
    seconds,
    rejectsFile: rejects.count > 0 ? rejects.path : undefined,
  };
  io.stderr.write(summaryLine(options.topic, report) + '\n');
  if (failure !== undefined) throw failure;
  return report;
}

export function summaryLine(topic: string, r: PublishReport): string {
  const unacked = r.valid - r.acknowledged;
  return (
    `sluice publish: ${r.acknowledged} sent to ${topic}, ${r.rejected} rejected` +
    (unacked > 0 ? `, ${unacked} not acknowledged` : '') +
    `, ${r.seconds.toFixed(2)} s, ${Math.round(r.acknowledged / Math.max(r.seconds, 0.001))} records/s` +
    (r.rejectsFile === undefined ? '' : ` (rejects in ${r.rejectsFile})`)
  );
}

/** Kafka's own ceiling on partitions per topic is far above this; a topology file allows as many. */
const MAX_PARTITIONS = 10_000;

/** What commander hands the action: the command's options under their flag names. */
type PublishFlags = Omit<PublishCommandOptions, 'file' | 'brokers' | 'headers' | 'keysFile' | 'security'> & KafkaSecurityFlags & {
  brokers?: string;
  header?: Record<string, string>;
  keys?: string;
};

export const registerPublish: RegisterCommand = (program: Command) => {
  program
    .command('publish')
    .description('Publish newline-delimited JSON to a topic, each line checked against the schema and encoded.')
    .argument('[file]', 'ndjson input (default: stdin)')
    .option('--brokers <list>', 'Kafka bootstrap brokers, comma-separated (default: $KAFKA_BROKERS)')
    .requiredOption('--topic <name>', 'topic to write to')
    .option('--schema <file>', 'Avro schema (.avsc) every line must fit')
    .option('--key <field>', 'field (path like user.id) whose value is the message key')
    .option('--codec <chain>', 'codec chain, e.g. avro, avro|lz4, json|aes-gcm|base64 (default: avro with --schema, else json)')
    .option('--rate <n>', 'steady pace in records per second (e.g. 500 or 500/s)', parseRate)
    .option('--rejects <file>', 'where rejected lines go (default: <input>.rejects.ndjson)')
    .option('--partitions <n>', 'create the topic with n partitions if it does not exist', (text: string) => wholeNumber('--partitions', text, 1, MAX_PARTITIONS))
    .option('--header <name=value>', 'header on every message (repeatable)', parseHeader)
    .option('--keys <file>', 'aes-gcm key file (default: $SLUICE_KEYS)')
    .option('--schema-registry <url>', 'schema registry where avro-confluent registers the schema (subject <topic>-value)')
    .action(async (file: string | undefined, flags: PublishFlags) => {
      const connection = connectionOf(flags, undefined, process.env, warnOnStderr);
      const report = await runPublish(
        {
          brokers: requireBrokers(flags.brokers, undefined, 'publish'),
          ...connection,
          topic: flags.topic,
          ...(file === undefined ? {} : { file }),
          ...(flags.schema === undefined ? {} : { schema: flags.schema }),
          ...(flags.key === undefined ? {} : { key: flags.key }),
          ...(flags.codec === undefined ? {} : { codec: flags.codec }),
          ...(flags.rate === undefined ? {} : { rate: flags.rate }),
          ...(flags.rejects === undefined ? {} : { rejects: flags.rejects }),
          ...(flags.partitions === undefined ? {} : { partitions: flags.partitions }),
          ...(flags.header === undefined ? {} : { headers: flags.header }),
          ...(flags.keys === undefined ? {} : { keysFile: flags.keys }),
          ...(flags.schemaRegistry === undefined ? {} : { schemaRegistry: flags.schemaRegistry }),
        },
        { stdin: process.stdin, stderr: process.stderr, logger: createLogger({ command: 'publish' }) },
      );
      process.exitCode = report.rejected > 0 || report.acknowledged < report.valid ? 1 : 0;
    });
};
