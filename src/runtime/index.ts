/** The runtime: makes topology nodes live as stream pipelines over a transport. */
export { TopologyRun, topicSpecsOf, type RunOptions, type RunReport } from './run.ts';
export { Stage, groupIdOf, deadLetterTopicOf, unstartedReport, type StageOptions, unknownStore, type StageReport, type StoreAnswer, type StoreContent } from './stage.ts';
export { tableStoreName } from './task/task.ts';
export type { RestoreProgress } from './task/restore.ts';
export { TopologyResources, type ResourceOptions } from './resources.ts';
export { PartitionWatermark, OffsetToken } from './offsets.ts';
export { withRetry, defaultRetryPolicy, backoffCeiling, type RetryPolicy } from './retry.ts';
export { deadLetterHeaders, readDeadLetter, DLQ_HEADER_PREFIX, type DeadLetter, type BytesEncoding } from './dead-letter.ts';
export type { DeadLetterTopic } from './dead-letter-report.ts';
export { emptyOverwrittenFiles } from './sinks/file-modes.ts';
export { topicEncoder, type TopicEncoder } from './stage-steps.ts';
export { SchemaRegistryClient, registryAuthOf, type RegistryAuth, type RegistryClientOptions, type Compatibility } from './registry/client.ts';
export { RegistrySchemas, subjectName, type SubjectStrategy } from './registry/schemas.ts';
export { checkTopicSchemas, type SubjectCheck } from './registry/check.ts';
