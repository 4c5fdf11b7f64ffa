/** The public library API of sluice. */
export * from './core/index.ts';
export * from './codecs/index.ts';
export * from './processors/index.ts';
export * from './topology/index.ts';
export {
  createEmbeddedTransport,
  createPartitioner,
  createSinkStream,
  createSourceStream,
  createTransport,
  EmbeddedBroker,
  getEmbeddedBroker,
  murmur2,
  partitionForKey,
  SinkStream,
  SourceStream,
} from './transport/index.ts';
export type {
  CleanupPolicy,
  Compression as BatchCompression,
  ConsumedRecord,
  Consumer,
  ConsumerOptions,
  OutgoingRecord,
  PartitionOffset,
  Producer,
  ProducerOptions,
  RecordSink,
  SinkRecord,
  SinkStreamOptions,
  SourceStreamOptions,
  TopicDescription,
  TopicPartitions,
  TopicSpec as TransportTopicSpec,
  Transport,
  TransportOptions,
} from './transport/index.ts';
export { createPublisher, keyFromPath, Publisher } from './runtime/publisher.ts';
export type { KeyOf, PublisherOptions, PublisherRegistry, PublishSummary } from './runtime/publisher.ts';
export { Coordinator, planTopology, statusTable, AlertWatcher, CrashHistory, DEFAULT_PORT as DEFAULT_STATUS_PORT } from './coordinator/index.ts';
export type {
  CoordinatorOptions,
  HttpOptions as CoordinatorHttpOptions,
  StatusSnapshot,
  StageStatus,
  TopicStatus,
  PartitionLag,
  LocalStageStatus,
  Alert,
  AlertKind,
  AlertThresholds,
  RestartPolicy,
  Isolation,
  InstanceState,
  TriggerResult,
  TopologyPlan,
  StagePlan,
} from './coordinator/index.ts';
export { createClusterAdmin } from './transport/index.ts';
export type { ClusterAdmin, GroupDescription, GroupMemberDescription, GroupState, PartitionRange } from './transport/index.ts';
export { createTopologyTestDriver, TopologyTestDriver, type TestDriverOptions } from './testing/driver.ts';
export type { OutputRecord } from './testing/match.ts';
