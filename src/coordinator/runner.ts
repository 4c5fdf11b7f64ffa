/** What the coordinator needs from whatever runs its stages: threads on Kafka, or this process when embedded. */
import type { RunReport } from '../runtime/index.ts';
import type { QueryOutcome, StoreTarget } from './query.ts';
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
  /** What `target`'s store holds for `key`, which its task `partition` holds: from the instance owning it, or who owns it. */
  query(target: StoreTarget, key: string, partition: number): Promise<QueryOutcome>;
  /** Graceful: every stage drains, commits and leaves its group. */
  stop(): void;
}
