/** The coordinator: trigger, schedule and monitor a topology's stages; HTTP status, metrics and page. */
export { Coordinator, DEFAULT_PORT, DEFAULT_POLL_INTERVAL_MS, type CoordinatorOptions, type HttpOptions } from './coordinator.ts';
export { planTopology, parseInstances, scheduleWarnings, topicsOf, type StagePlan, type TopologyPlan, type PlanOptions } from './plan.ts';
export {
  sampleCluster,
  statusOf,
  restoreStatus,
  type ClusterSample,
  type StatusSnapshot,
  type StageStatus,
  type TopicStatus,
  type PartitionLag,
  type LocalStageStatus,
  type RestoreStatus,
  type StatusInput,
} from './status.ts';
export { statusTable, restoringLines } from './table.ts';
export { ensureTopics, checkTopics, compareTopics, deleteTopics, describeDifferences, type TopicDifference } from './topics.ts';
export { AlertWatcher, defaultAlertThresholds, type Alert, type AlertKind, type AlertThresholds } from './alerts.ts';
export { CrashHistory, defaultRestartPolicy, type RestartPolicy, type RestartDecision } from './restart.ts';
export { annotationsOf, type Annotation } from './annotate.ts';
export type { Isolation } from './host.ts';
export type { InstanceState, InstanceCounts } from './instance.ts';
export type { TriggerResult, InstanceFailure } from './runner.ts';
export { storeStage, keyPartition, type QueryReply, type QueryOutcome, type StoreTarget, type InstanceAnswer, type Owner, type StoreRestore } from './query.ts';
export { coordinatorPolicy, type HttpServerOptions } from './http.ts';
