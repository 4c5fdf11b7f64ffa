/**
 * The Transport interface: what a stage needs from the log it reads and writes.
 * Three implementations keep one set of semantics: `kafka/` (kafkajs against
 * real brokers), `platformatic/` (@platformatic/kafka against real brokers,
 * chosen by `TransportOptions.client`) and `embedded/` (in-process topics for
 * one process, the default when no brokers are given). Nothing here knows of topologies or codecs: the
 * runtime turns these byte records into `SluiceRecord`s.
 *
 * Contracts the runtime can build on:
 *
 * - Produce: `Producer.send` resolves only when every record is acknowledged by
 *   all in-sync replicas (acks=-1). Records of one partition keep their order.
 *   A rejected promise means none of the records may be assumed written, with
 *   one exception: SLUICE_ERR_RECORD_REFUSED (a `RecordsRefusedError`, see
 *   refused.ts) lists records the broker refused on their own (too large for
 *   the topic, invalid for it), and every other record of the call was
 *   acknowledged. Both transports refuse a record over its topic's
 *   `max.message.bytes` so.
 *
 * - Consume: records reach a bounded `SourceStream` (see source.ts). When it
 *   is full the consumer stops fetching (kafkajs `pause`) and resumes when the
 *   stream drains below half; heartbeats keep flowing meanwhile and the pause
 *   survives rebalances. Records of one partition arrive in offset order.
 *
 * - Commit: explicit only. `commit([{ topic, partition, offset }, ...])`
 *   stores each `offset`, the first record NOT yet done (Kafka's convention),
 *   for this consumer's group, all in one request. The runtime computes that watermark, past transaction
 *   markers through `position()`. A commit for a
 *   partition this member does not own any more is refused (resolves `false`)
 *   instead of overwriting the new owner's progress (kafkajs issue 1046).
 *
 * - Transactions leave markers: a committed or aborted transaction writes a
 *   control record to every partition it wrote, which takes an offset but is
 *   never delivered. Both transports do (the embedded log keeps a marker
 *   entry), so offsets of a topic written by exactly-once stages have gaps
 *   and its end is past its last record.
 *
 * - Rebalance: `onRevoke(partitions)` is awaited before records of the new
 *   assignment are delivered; the source has already dropped its buffered
 *   records of those partitions. `onAssign(partitions)` is awaited before the
 *   first record of a newly assigned partition. Records of a revoked
 *   partition already read from the stream (in the runtime's stages) are
 *   the runtime's to drop; their commits are refused. So is at most one
 *   record that was already pushed into the Readable's own buffer: it still
 *   arrives after `onRevoke`. Embedded: `onRevoke` runs
 *   before the partition is handed to another member, so commits made inside
 *   it count. Kafka (kafkajs): a rebalance is only learnt from a heartbeat
 *   answer and kafkajs rejoins at once with no hook in between, so `onRevoke`
 *   runs after the rejoin; commits for the revoked partitions are refused then
 *   and their uncommitted records are redelivered to the new owner
 *   (at-least-once). `beforeRejoin` narrows that window when the news comes
 *   while records are being delivered; commit often for the rest.
 */
import type { Logger } from '../core/index.ts';
import type { KafkaClient } from './clients.ts';

export type HeaderBytes = Record<string, Buffer>;

/**
 * A record read from a topic: bytes as stored, plus where it was stored. Once
 * a sink takes it, it is the sink's: a stage changes it in place (its value
 * decoded, its headers replaced), so a consumer hands out objects of its own
 * and never one it keeps or gives to another reader.
 */
export interface ConsumedRecord {
  key: Buffer | null;
  value: Buffer | null;
  /** Kafka allows repeated header names; the last value wins here. */
  headers: HeaderBytes;
  /** Milliseconds since the epoch (CreateTime as the producer set it). */
  timestamp: number;
  topic: string;
  partition: number;
  /** 64-bit offset as a decimal string (as kafkajs gives it). */
  offset: string;
}

/** A record to write. A string key or value is written as its UTF-8 bytes. */
export interface OutgoingRecord {
  topic: string;
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, Buffer | string>;
  /** Explicit partition; otherwise murmur2 of the key, or round-robin when keyless. */
  partition?: number;
  /** Milliseconds since the epoch; defaults to the time of sending. */
  timestamp?: number;
}

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface PartitionOffset {
  partition: number;
  /**
   * For `endOffsets`, the end a read_committed reader can reach (the last
   * stable offset: the high watermark unless a transaction is open); for
   * `committedOffsets`, the next offset to read, null when the group has none.
   */
  offset: string | null;
}

/**
 * Where a consumer reads a partition. Offsets after `lastDelivered` and
 * before `next` hold no record for this reader: transaction markers (control
 * records) and records of aborted transactions, which Kafka never delivers
 * but which take offsets. A reader that has finished everything up to
 * `lastDelivered` has finished everything before `next`, and commits `next`
 * (Kafka Streams commits the consumer's position in the same way), so its
 * committed offset can reach the end of a topic written by transactions.
 */
export interface ReadPosition {
  /** Offset of the last record delivered since the partition was assigned or sought; null when none was. */
  lastDelivered: string | null;
  /** The next offset to fetch. */
  next: string;
}

export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';

export interface TopicSpec {
  name: string;
  partitions: number;
  /** Defaults to 1 (the broker's own default may be higher in production). */
  replicationFactor?: number;
  cleanupPolicy?: CleanupPolicy;
  /** -1 keeps records forever. */
  retentionMs?: number;
  /** Any other topic config, passed through as given. */
  config?: Record<string, string>;
}

export interface TopicDescription {
  name: string;
  partitions: number;
  replicationFactor: number;
  /** The topic's configs that sluice sets (cleanup.policy, retention.ms) plus any others known. */
  config: Record<string, string>;
}

export type Compression = 'lz4' | 'gzip' | 'snappy' | 'none';

export interface ProducerOptions {
  /** Exactly-once per partition across retries (Kafka's idempotent producer). Default true. */
  idempotent?: boolean;
  /** Record-batch compression (Kafka only; the embedded log stores records as given). Default 'lz4'. */
  compression?: Compression;
  /** Dispatch a batch once it holds this many records. Default 1,000. */
  batchCount?: number;
  /** ... or this many bytes of keys, values and headers. Default 1 MiB. */
  batchBytes?: number;
  /** ... or when its first record has waited this long. Default 5 ms. */
  lingerMs?: number;
}

export interface Producer {
  /**
   * Queues records into the current batch and resolves when the broker has
   * acknowledged all of them (acks=-1). Records keep their order per partition.
   */
  send(records: readonly OutgoingRecord[]): Promise<void>;
  /** Dispatches the current batch now and resolves when everything sent so far is acknowledged. */
  flush(): Promise<void>;
  /** Records acknowledged since the producer was created. */
  readonly acknowledged: number;
  /** Flushes, then disconnects. */
  close(): Promise<void>;
}

export interface ConsumerOptions {
  groupId: string;
  topics: string[];
  /** Where a partition with no committed offset starts: earliest (true) or latest (false, default). */
  fromBeginning?: boolean;
  /** Skip records of aborted transactions and stop at the last stable offset. Default true. */
  readCommitted?: boolean;
  /** Partition assignment strategy among the group's members. Default 'range' (Kafka's default). */
  assignor?: 'range' | 'roundrobin';
  /** Kafka group session timeout. Default 30,000 ms. */
  sessionTimeoutMs?: number;
  /** Awaited before the first record of newly assigned partitions is delivered. */
  onAssign?: (partitions: TopicPartitions[]) => void | Promise<void>;
  /** Awaited when partitions are taken away; see the Rebalance contract above. */
  onRevoke?: (partitions: TopicPartitions[]) => void | Promise<void>;
  /**
   * Kafka: partitions this member lost without giving them up, because it was
   * out of its group for a while (paused past its session timeout, say): a
   * member of the generations in between may have processed and committed
   * past them. Called synchronously, before any record or `onAssign` of the
   * new assignment, so nothing of them is ever committed from here again
   * (Kafka's own `onPartitionsLost`). Partitions assigned again come through
   * `onAssign` like new ones, from the group's committed offsets.
   */
  onLost?: (partitions: TopicPartitions[]) => void;
  /**
   * Kafka: called when this member learns that its group is rebalancing,
   * before it rejoins, while it still owns all its partitions. `waited` true:
   * the news came in the middle of delivering and the rejoin waits for the
   * returned promise, so commits made meanwhile count. False: kafkajs rejoins
   * at once; a commit started right away usually lands first.
   */
  beforeRejoin?: (waited: boolean) => Promise<void>;
}

/**
 * The receiving end of a consumer: a `SourceStream`. The consumer offers records
 * in partition order and re-offers, later, whatever was not accepted.
 */
export interface RecordSink {
  /** Takes a prefix of `records` (all of them when there is room) and returns how many it took. */
  offer(records: readonly ConsumedRecord[]): number;
  /** Forgets buffered records of partitions this consumer no longer owns, or that were seeked. */
  discard(partitions: readonly TopicPartitions[]): void;
  /**
   * Drops the partition's records that wait for the stage, and returns the
   * first one's offset (undefined when none waited), for the consumer to read
   * again from there.
   */
  takeBack(topic: string, partition: number): string | undefined;
  /** No more records will come: the stream ends once its buffer is read. */
  end(): void;
  /** Consuming failed for good: the stream is destroyed with this error. */
  fail(err: Error): void;
}

export interface Consumer {
  readonly groupId: string;
  /**
   * Starts delivering into `sink` (called once, by `createSourceStream`).
   * Resolves once the consumer has joined its group.
   */
  attach(sink: RecordSink): Promise<void>;
  /** The sink has room again after refusing records: resume fetching. */
  drained(): void;
  /**
   * Stores each offset (the next to read) for the group in one request, so a
   * commit costs one round trip however many partitions it covers. Resolves,
   * in the order given, whether each was stored: `false` for a partition not
   * owned any more (nothing stored for it).
   */
  commit(offsets: readonly OffsetCommit[]): Promise<boolean[]>;
  /** The partitions this member owns now. */
  assignment(): TopicPartitions[];
  owns(topic: string, partition: number): boolean;
  /** Next delivery of this partition starts at `offset`; buffered records of it are dropped. */
  seek(topic: string, partition: number, offset: string): void;
  /** Where this member reads a partition it owns; undefined before it has fetched anything of it since it got it. */
  position(topic: string, partition: number): ReadPosition | undefined;
  /** The end of every partition of `topic` for a read_committed reader: the last stable offset. */
  endOffsets(topic: string): Promise<PartitionOffset[]>;
  /** This group's committed offsets for every partition of `topic`. */
  committedOffsets(topic: string): Promise<PartitionOffset[]>;
  /** Stops fetching and ends the source stream after its buffer; commits still work until `disconnect`. */
  stop(): Promise<void>;
  /** Stops, then leaves the group cleanly so the others rebalance at once. */
  disconnect(): Promise<void>;
  /**
   * After an in-process crash: stops and leaves the group at once with no
   * `onRevoke`, so nothing of what it owned is committed from here and the
   * next member gets the partitions without waiting out the session timeout.
   */
  abandon(): Promise<void>;
}

/** One partition's position to commit: `offset` is the next to read. */
export interface OffsetCommit {
  topic: string;
  partition: number;
  offset: string;
}

/** A consumer group's position, committed inside a transaction. */
export interface TransactionOffsets extends OffsetCommit {
  groupId: string;
}

/**
 * Exactly-once output: each `transact` call is one Kafka transaction that
 * writes `records` and commits `offsets` for their consumer group together,
 * or neither (read_committed consumers never see an aborted one). Calls are
 * serialised, so one producer never has two transactions open (kafkajs lacks
 * that lock: its issue 430). A newer producer with the same transactional id
 * fences this one: `transact` then rejects with SLUICE_ERR_PRODUCER_FENCED and
 * the caller must stop, as the work now belongs to someone else. After a
 * failure whose outcome is unknown (a timeout) the producer re-initialises
 * itself rather than guess (KIP-890), and the caller retries from its last
 * committed position. Records the broker refuses on their own make
 * `transact` reject with SLUICE_ERR_RECORD_REFUSED (`RecordsRefusedError`,
 * indices into `records`) and nothing written: the caller commits again
 * without them (or with dead letters in their place).
 */
export interface TransactionalProducer {
  readonly transactionalId: string;
  transact(records: readonly OutgoingRecord[], offsets: readonly TransactionOffsets[]): Promise<void>;
  close(): Promise<void>;
}

/** Where to start reading one partition outside any group: `from` null is the log's start. */
export interface PartitionRead {
  partition: number;
  from: string | null;
  /** Stop before this offset (at most the end as of the call); default the end. */
  to?: string;
}

/** How far a partition read got: `end` is the next offset after the last record read (past transaction markers). */
export interface PartitionReadEnd {
  partition: number;
  end: string;
  /**
   * `from` was past the partition's end or before its first retained offset:
   * nothing was read (a changelog that was recreated, or a checkpoint from
   * another cluster), so the reader's copy cannot be trusted.
   */
  outOfRange: boolean;
}

export interface ReadPartitionsOptions {
  /** Skip aborted transactions and stop at the last stable offset. Default true. */
  readCommitted?: boolean;
}

/** Offsets a write reached: the first offset of what it wrote per topic-partition (of the request batch holding it). */
export interface WrittenOffset {
  topic: string;
  partition: number;
  baseOffset: string;
}

/** A partition's new first offset: every record before `offset` is deleted. */
export interface PartitionLogStart {
  partition: number;
  offset: string;
}

export interface Transport {
  readonly kind: 'kafka' | 'embedded';
  /** The client library underneath (for logs and status). */
  readonly client: KafkaClient | 'embedded';
  /** The end of every partition of `topic`: the last stable offset, what a read_committed reader reaches. */
  endOffsets(topic: string): Promise<PartitionOffset[]>;
  /**
   * Reads partitions of `topic` outside any consumer group, each from its
   * `from` up to its `to` or its end as of the call, handing records over in order per
   * partition, one batch at a time (the next batch waits for `onRecords`).
   * For restoring state stores from their changelogs.
   */
  readPartitions(
    topic: string,
    reads: readonly PartitionRead[],
    onRecords: (records: readonly ConsumedRecord[]) => Promise<void>,
    options?: ReadPartitionsOptions,
  ): Promise<PartitionReadEnd[]>;
  /** A connected transactional producer (exactly-once stages). */
  transactionalProducer(transactionalId: string, options?: ProducerOptions): Promise<TransactionalProducer>;
  /** Creates what is missing; an existing topic is fine (its settings are not compared here). */
  createTopics(specs: readonly TopicSpec[]): Promise<void>;
  /** Only topics that exist are described. */
  describeTopics(names: readonly string[]): Promise<TopicDescription[]>;
  /**
   * Deletes every record of each given partition before its `offset` (at
   * most the partition's end): the partition's log start offset moves there
   * and no reader gets those records again. A position below it is out of
   * range, and a consumer there moves by its reset policy (`fromBeginning`).
   * An offset at or below the log start deletes nothing.
   */
  deleteRecordsBefore(topic: string, starts: readonly PartitionLogStart[]): Promise<void>;
  /** A connected producer. */
  producer(options?: ProducerOptions): Promise<Producer>;
  /** A connected consumer; it joins its group when attached to a source stream. */
  consumer(options: ConsumerOptions): Promise<Consumer>;
  /** Closes what this transport opened (producers, consumers, admin connections). */
  close(): Promise<void>;
}

/** TLS towards the brokers: PEM text, already read (see `kafkaSecurity` for files and policy). */
export interface KafkaTlsOptions {
  ca?: string[];
  cert?: string;
  key?: string;
  /** False accepts any certificate; `kafkaSecurity` allows it only when told `insecure`. */
  rejectUnauthorized?: boolean;
}

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface KafkaSaslOptions {
  mechanism: SaslMechanism;
  username: string;
  password: string;
}

/** How a Kafka client authenticates and encrypts; `tls` present (even empty) means TLS. */
export interface KafkaSecurity {
  tls?: KafkaTlsOptions;
  sasl?: KafkaSaslOptions;
}

/** The Kafka client behind the Transport: kafkajs (`kafka/`) or @platformatic/kafka (`platformatic/`). */

export interface TransportOptions {
  /** Kafka bootstrap brokers; none (or empty) means the embedded in-process broker. */
  brokers?: string[];
  clientId: string;
  logger: Logger;
  /** Kafka only: TLS and SASL. */
  security?: KafkaSecurity;
  /** Kafka only: which client; default the SLUICE_KAFKA_CLIENT environment variable, else platformatic. */
  client?: KafkaClient;
}

/** Consumer-group states as the Kafka admin API names them. */
export type GroupState = 'Stable' | 'PreparingRebalance' | 'CompletingRebalance' | 'Empty' | 'Dead' | 'Unknown';

export interface GroupMemberDescription {
  memberId: string;
  clientId: string;
  host: string;
  assignment: TopicPartitions[];
}

export interface GroupDescription {
  groupId: string;
  state: GroupState;
  members: GroupMemberDescription[];
}

export interface PartitionRange {
  partition: number;
  /** First offset still in the log. */
  low: string;
  /**
   * The end for read_committed readers, which every sluice stage is: the last
   * stable offset (ListOffsets with isolation READ_COMMITTED), the high
   * watermark unless a transaction is open. Lag measured against it is what
   * a reader can actually reach.
   */
  high: string;
}

/**
 * The monitoring reads of a cluster (the coordinator's and `sluice status`'s),
 * apart from any stage: group state and members, committed and end offsets.
 */
export interface ClusterAdmin {
  readonly kind: 'kafka' | 'embedded';
  /** Groups that never existed are reported `Dead` with no members (as Kafka does). */
  describeGroups(groupIds: readonly string[]): Promise<GroupDescription[]>;
  /** The group's committed offsets for every partition of each topic; null where it has none. */
  committedOffsets(groupId: string, topics: readonly string[]): Promise<Map<string, PartitionOffset[]>>;
  /** Low and high watermarks of every partition; topics that do not exist are left out. */
  topicOffsets(topics: readonly string[]): Promise<Map<string, PartitionRange[]>>;
  /** Deletes the topics that exist, and returns their names; others are ignored. */
  deleteTopics(names: readonly string[]): Promise<string[]>;
  close(): Promise<void>;
}
