/** What the coordinator needs from whatever runs its stages: threads on Kafka, or this process when embedded. */
import type { RunReport } from '../runtime/index.ts';
import type { StagePlan } from './plan.ts';
import type { QueryOutcome } from './query.ts';
import type { LocalStageStatus } from './status.ts';

export type TriggerResult = { accepted: true; stages: string[] } | { accepted: false; reason: string };

export interface InstanceFailure {
  stage: string;
  instance: number;
  error: string;
}

export interface StageRunner {
  /** Resolves once every stage has ended and nothing more will start (stopped, or only finite work). */
  readonly done: Promise<RunReport>;
  /** Per stage id, what this process's instances are doing. */
  local(): Map<string, LocalStageStatus>;
  /** Instances given up on after repeated crashes. */
  failures(): InstanceFailure[];
  /** Runs a node now (until caught up for cron nodes); refused while it runs. */
  trigger(node: string): TriggerResult;
  /** `key`'s aggregates in the store of `stage`, whose task `partition` holds them: from the instance owning it, or who owns it. */
  query(stage: StagePlan, key: string, partition: number): Promise<QueryOutcome>;
  /** Graceful: every stage drains, commits and leaves its group. */
  stop(): void;
}
