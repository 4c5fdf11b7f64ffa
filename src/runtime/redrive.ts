/**
 * Redriving dead letters: each one rebuilt as the record it was (its key,
 * value bytes, headers and timestamp, without the `sluice.dlq.*` headers),
 * marked with `sluice.redrive.*` provenance and written back to the topic it
 * was read from, so its node reads it again once the cause is fixed. Back to
 * that topic and not a copy elsewhere: a chain with `aes-gcm` authenticates
 * the topic name, so the bytes decrypt there only (`--to` is for records that
 * had no topic, or whose new home uses no such chain).
 *
 * A dead-letter topic is read by its own consumer group, from the group's
 * committed offsets up to the end offsets as of the start, and progress is
 * committed only once the records written for it are acknowledged: a crash
 * redrives again what was in flight (at-least-once), a finished run never.
 * Dead letters passed over by a filter are committed past like the others.
 */
import { ErrorCodes, SluiceError, toSluiceError, type Logger } from '../core/index.ts';
import { createSourceStream, refusedRecords, type ClusterAdmin, type ConsumedRecord, type Consumer, type OffsetCommit, type OutgoingRecord, type Producer, type Transport } from '../transport/index.ts';
import { DLQ_HEADER_PREFIX, DLQ_TRUNCATED } from './dead-letter.ts';

export const REDRIVE_HEADER_PREFIX = 'sluice.redrive.';
export const REDRIVE_HEADERS = {
  fromTopic: `${REDRIVE_HEADER_PREFIX}from.topic`,
  fromPartition: `${REDRIVE_HEADER_PREFIX}from.partition`,
  fromOffset: `${REDRIVE_HEADER_PREFIX}from.offset`,
  errorCode: `${REDRIVE_HEADER_PREFIX}error.code`,
  at: `${REDRIVE_HEADER_PREFIX}at`,
} as const;

/** What a dead letter is counted under when it carries no code (not written by sluice). */
const NO_CODE = 'SLUICE_ERR_UNKNOWN';

/** Records sent per request before their progress is committed. */
const BATCH = 500;

function dlqHeader(record: ConsumedRecord, name: string): string | undefined {
  return record.headers[`${DLQ_HEADER_PREFIX}${name}`]?.toString('utf8');
}

/** `topic[partition]@offset` of the dead letter, as every message names it. */
export function whereOf(record: ConsumedRecord): string {
  return `${record.topic}[${record.partition}]@${record.offset}`;
}

export function errorCodeOf(deadLetter: ConsumedRecord): string {
  return dlqHeader(deadLetter, 'error.code') ?? NO_CODE;
}

/**
 * The record a dead letter was, to write again, or why it cannot be: a dead
 * letter cut down to fit its topic is not the original, and one read from a
 * file or stdin has no topic to go back to unless `to` names one.
 */
export function redriveRecord(deadLetter: ConsumedRecord, now: number, options: { to?: string } = {}): OutgoingRecord | { skip: string } {
  if (dlqHeader(deadLetter, 'error.code') === undefined) return { skip: 'not a sluice dead letter (no sluice.dlq.error.code header)' };
  const truncated = deadLetter.headers[DLQ_TRUNCATED]?.toString('utf8');
  if (truncated !== undefined) return { skip: `truncated to fit the dead-letter topic (${truncated} cut): not the original record` };
  const topic = options.to ?? dlqHeader(deadLetter, 'original.topic');
  if (topic === undefined) {
    const file = dlqHeader(deadLetter, 'original.file');
    return { skip: `no original topic (it was read from ${file === undefined ? 'a non-topic source' : `${file}:${dlqHeader(deadLetter, 'original.line') ?? '?'}`}): give --to TOPIC` };
  }
  const headers: Record<string, Buffer | string> = {};
  // Earlier provenance goes too: a record redriven twice says where it came from last.
  for (const [name, value] of Object.entries(deadLetter.headers)) {
    if (!name.startsWith(DLQ_HEADER_PREFIX) && !name.startsWith(REDRIVE_HEADER_PREFIX)) headers[name] = value;
  }
  headers[REDRIVE_HEADERS.fromTopic] = deadLetter.topic;
  headers[REDRIVE_HEADERS.fromPartition] = String(deadLetter.partition);
  headers[REDRIVE_HEADERS.fromOffset] = deadLetter.offset;
  headers[REDRIVE_HEADERS.errorCode] = errorCodeOf(deadLetter);
  headers[REDRIVE_HEADERS.at] = String(now);
  const timestamp = dlqHeader(deadLetter, 'original.timestamp');
  return {
    topic,
    key: deadLetter.key,
    value: deadLetter.value,
    headers,
    // Event time as it was: windows downstream place the record where it belonged.
    ...(timestamp !== undefined && /^\d+$/.test(timestamp) ? { timestamp: Number(timestamp) } : {}),
  };
}

export interface RedriveFilter {
  /** Only dead letters with one of these error codes. */
  codes?: ReadonlySet<string>;
  /** Only dead letters that failed at or after this time (ms since the epoch); one with no failure time is left out. */
  since?: number;
}

export function selected(deadLetter: ConsumedRecord, filter: RedriveFilter): boolean {
  if (filter.codes !== undefined && !filter.codes.has(errorCodeOf(deadLetter))) return false;
  if (filter.since === undefined) return true;
  const failedAt = dlqHeader(deadLetter, 'failed.at');
  return failedAt !== undefined && /^\d+$/.test(failedAt) && Number(failedAt) >= filter.since;
}

export interface RedriveCounts {
  redriven: number;
  skipped: number;
  filtered: number;
  /** Refused by the broker on its own (too large, invalid for the topic): not redriven, exit 1. */
  failed: number;
}

export interface RedriveNote {
  /** The dead letter: `topic[partition]@offset`. */
  at: string;
  code: string;
  reason: string;
}

export interface RedriveReport {
  /** The dead-letter topic, or the file, read. */
  source: string;
  group?: string;
  dryRun: boolean;
  /** Counts by the dead letters' error codes. Dry runs count what would be redriven as redriven. */
  byCode: Record<string, RedriveCounts>;
  skipped: RedriveNote[];
  failed: RedriveNote[];
}

export type RedriveOutcome = { action: 'redrive'; to: string } | { action: 'skip'; reason: string } | { action: 'filter' };

export interface RedriveSettings {
  to?: string;
  filter: RedriveFilter;
  /** Write and commit nothing; `onRecord` hears what would be done. */
  dryRun: boolean;
  now?: () => number;
  onRecord?: (deadLetter: ConsumedRecord, outcome: RedriveOutcome) => void;
}

/** Sorts dead letters into redriven, skipped and filtered, and sends the redriven in batches. */
export class Redriver {
  readonly report: RedriveReport;
  readonly #producer: Producer | undefined;
  readonly #settings: RedriveSettings;
  #batch: Array<{ from: ConsumedRecord; record: OutgoingRecord; code: string }> = [];

  constructor(producer: Producer | undefined, settings: RedriveSettings, source: string, group?: string) {
    this.#producer = producer;
    this.#settings = settings;
    this.report = { source, ...(group !== undefined ? { group } : {}), dryRun: settings.dryRun, byCode: {}, skipped: [], failed: [] };
  }

  add(deadLetter: ConsumedRecord): void {
    const { filter, to, dryRun, onRecord } = this.#settings;
    const code = errorCodeOf(deadLetter);
    const counts = (this.report.byCode[code] ??= { redriven: 0, skipped: 0, filtered: 0, failed: 0 });
    if (!selected(deadLetter, filter)) {
      counts.filtered++;
      onRecord?.(deadLetter, { action: 'filter' });
      return;
    }
    const record = redriveRecord(deadLetter, (this.#settings.now ?? Date.now)(), to !== undefined ? { to } : {});
    if ('skip' in record) {
      counts.skipped++;
      this.report.skipped.push({ at: whereOf(deadLetter), code, reason: record.skip });
      onRecord?.(deadLetter, { action: 'skip', reason: record.skip });
      return;
    }
    onRecord?.(deadLetter, { action: 'redrive', to: record.topic });
    if (dryRun || this.#producer === undefined) counts.redriven++;
    else this.#batch.push({ from: deadLetter, record, code });
  }

  get full(): boolean {
    return this.#batch.length >= BATCH;
  }

  /**
   * Sends the batch and resolves once the broker acknowledged it, with the
   * dead letters whose records it refused on their own. Any other failure
   * rejects: nothing of the batch may be taken as written.
   */
  async flush(): Promise<ConsumedRecord[]> {
    const batch = this.#batch;
    this.#batch = [];
    if (batch.length === 0 || this.#producer === undefined) return [];
    let refused = new Map<number, string>();
    try {
      await this.#producer.send(batch.map((b) => b.record));
    } catch (err) {
      const records = refusedRecords(err);
      if (records === undefined) {
        const first = batch[0]!.from;
        // The dead letter's place, not the target's: that is where the next run starts again.
        const failure = toSluiceError(err, ErrorCodes.PRODUCE);
        throw new SluiceError(failure.code, `redriving from ${whereOf(first)} (a batch of ${batch.length}, none committed): ${failure.message}`, {
          cause: err,
          retriable: failure.retriable,
          context: { ...failure.context, topic: first.topic, partition: first.partition, offset: first.offset },
        });
      }
      refused = new Map(records.map((r) => [r.index, r.error.message]));
    }
    batch.forEach((b, i) => {
      const counts = this.report.byCode[b.code]!;
      const error = refused.get(i);
      if (error === undefined) counts.redriven++;
      else {
        counts.failed++;
        this.report.failed.push({ at: whereOf(b.from), code: b.code, reason: error });
      }
    });
    return [...refused.keys()].map((i) => batch[i]!.from);
  }
}

export interface RedriveTopicOptions extends RedriveSettings {
  transport: Transport;
  /** For the group's committed offsets and the topic's bounds before the group is joined. */
  admin: ClusterAdmin;
  topic: string;
  groupId: string;
  logger: Logger;
}

/** How often a consumer's position is compared with the end offsets: it can pass them on transaction markers, with no record to say so. */
const CAUGHT_UP_CHECK_MS = 100;

/** Redrives the dead letters of `topic` the group has not yet been past, up to the end offsets as of the call. */
export async function redriveTopic(options: RedriveTopicOptions): Promise<RedriveReport> {
  const { transport, admin, topic, groupId, dryRun } = options;
  const ranges = (await admin.topicOffsets([topic])).get(topic) ?? [];
  const committed = new Map(((await admin.committedOffsets(groupId, [topic])).get(topic) ?? []).map((c) => [c.partition, c.offset]));
  // Partition → the end to reach; partitions the group is already past are left alone.
  const ends = new Map<number, bigint>();
  for (const { partition, low, high } of ranges) {
    const from = committed.get(partition);
    const start = from === null || from === undefined || BigInt(from) < BigInt(low) ? BigInt(low) : BigInt(from);
    if (BigInt(high) > start) ends.set(partition, BigInt(high));
  }
  const producer = dryRun || ends.size === 0 ? undefined : await transport.producer();
  const redriver = new Redriver(producer, options, topic, groupId);
  if (ends.size === 0) return redriver.report;
  const consumer = await transport.consumer({ groupId, topics: [topic], fromBeginning: true, readCommitted: true });
  try {
    await new GroupRead(consumer, topic, ends, redriver, options).run();
  } finally {
    await consumer.disconnect();
    await producer?.close();
  }
  return redriver.report;
}

/** One bounded pass of the group over its partitions: take, send, then commit what was acknowledged. */
class GroupRead {
  /** Per partition, the offset after the last record the stream handed over (taken or not). */
  readonly #seen = new Map<number, bigint>();
  /** ... and after the last dead letter taken. */
  readonly #taken = new Map<number, bigint>();
  /** Partitions with a dead letter that could not be redriven: nothing after it is taken, and the group stays at it. */
  readonly #stuck = new Map<number, bigint>();
  #stopping: Promise<void> | undefined;

  constructor(
    private readonly consumer: Consumer,
    private readonly topic: string,
    private readonly ends: ReadonlyMap<number, bigint>,
    private readonly redriver: Redriver,
    private readonly options: RedriveTopicOptions,
  ) {}

  async run(): Promise<void> {
    const stream = await createSourceStream(this.consumer, { maxBuffered: 2 * BATCH });
    this.#warnNotOwned();
    const timer = setInterval(() => this.#checkCaughtUp(), CAUGHT_UP_CHECK_MS);
    try {
      this.#checkCaughtUp();
      for await (const record of stream as AsyncIterable<ConsumedRecord>) {
        const { partition } = record;
        const offset = BigInt(record.offset);
        this.#seen.set(partition, offset + 1n);
        const end = this.ends.get(partition);
        // Past the bound (written since the start) or behind a failure: left for the next run.
        if (end === undefined || this.#stuck.has(partition) || offset >= end) continue;
        this.redriver.add(record);
        this.#taken.set(partition, offset + 1n);
        if (this.redriver.full) await this.#settle();
        this.#checkCaughtUp();
      }
      await this.#settle();
    } finally {
      clearInterval(timer);
    }
  }

  /** Another redrive of the same node holds some partitions: this one never reads them, so it does not wait for them. */
  #warnNotOwned(): void {
    const others = [...this.ends.keys()].filter((p) => !this.consumer.owns(this.topic, p));
    if (others.length > 0) {
      this.options.logger.warn({ topic: this.topic, partitions: others, group: this.consumer.groupId }, 'another member of the redrive group holds these partitions: run one redrive of a node at a time');
    }
  }

  #checkCaughtUp(): void {
    if (this.#stopping !== undefined) return;
    for (const [partition, end] of this.ends) {
      if (this.#stuck.has(partition) || !this.consumer.owns(this.topic, partition)) continue;
      const next = this.consumer.position(this.topic, partition)?.next;
      if ((next === undefined || BigInt(next) < end) && (this.#taken.get(partition) ?? 0n) < end) return;
    }
    // The stream still hands over what the consumer buffered, then ends.
    this.#stopping = this.consumer.stop();
  }

  /**
   * Where the group may stand on a partition: at a dead letter that failed,
   * else after the last one taken, or at the consumer's position once the
   * stream has handed over everything it delivered (that position is past
   * transaction markers, which no record stands for); never past the end.
   */
  #commitOffset(partition: number, end: bigint): bigint | undefined {
    const stuck = this.#stuck.get(partition);
    if (stuck !== undefined) return stuck;
    const position = this.consumer.position(this.topic, partition);
    const seen = this.#seen.get(partition);
    const drained = position !== undefined && (position.lastDelivered === null || (seen !== undefined && seen > BigInt(position.lastDelivered)));
    const upTo = drained ? BigInt(position.next) : this.#taken.get(partition);
    return upTo === undefined || upTo < end ? upTo : end;
  }

  /** Waits for the batch's acknowledgement, then commits past what it settled. */
  async #settle(): Promise<void> {
    for (const failed of await this.redriver.flush()) {
      const offset = BigInt(failed.offset);
      const stuck = this.#stuck.get(failed.partition);
      if (stuck === undefined || offset < stuck) this.#stuck.set(failed.partition, offset);
    }
    if (this.options.dryRun) return;
    const commits: OffsetCommit[] = [];
    for (const [partition, end] of this.ends) {
      if (!this.consumer.owns(this.topic, partition)) continue;
      const offset = this.#commitOffset(partition, end);
      if (offset !== undefined) commits.push({ topic: this.topic, partition, offset: offset.toString() });
    }
    if (commits.length === 0) return;
    const stored = await this.consumer.commit(commits);
    const lost = commits.filter((_, i) => !stored[i]).map((c) => c.partition);
    if (lost.length > 0) {
      this.options.logger.warn({ topic: this.topic, partitions: lost }, 'progress not committed: another member took these partitions; its redrive may send their dead letters again');
    }
  }
}
