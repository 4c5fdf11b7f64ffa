/**
 * The status of a topology's stages, read from the cluster and nothing else:
 * one sample is every group's state and members, its committed offsets, and
 * the low/high watermarks of every topic the topology touches. Lag is the
 * high watermark minus the committed offset (minus the low watermark where
 * the group has committed nothing). Rates are differences between two samples.
 * A coordinator adds what only it knows (instances, restarts, crashes) as
 * `local`; `sluice status` on another machine shows the same figures without.
 */
import type { ClusterAdmin, GroupDescription, GroupMemberDescription, GroupState, PartitionOffset, PartitionRange } from '../transport/index.ts';
import { topicsOf, type StagePlan, type TopologyPlan } from './plan.ts';
import type { StoreRestore } from './query.ts';

export interface ClusterSample {
  /** Milliseconds since the epoch when the sample was taken. */
  at: number;
  groups: Map<string, GroupDescription>;
  /** group → topic → committed offsets */
  committed: Map<string, Map<string, PartitionOffset[]>>;
  topics: Map<string, PartitionRange[]>;
}

/** One round of admin reads: DescribeGroups once, OffsetFetch per group, ListOffsets per topic. */
export async function sampleCluster(admin: ClusterAdmin, plan: TopologyPlan, now: () => number = Date.now): Promise<ClusterSample> {
  const grouped = plan.stages.filter((s): s is StagePlan & { group: string } => s.group !== undefined);
  const [groups, committed, topics] = await Promise.all([
    admin.describeGroups(grouped.map((s) => s.group)),
    Promise.all(grouped.map(async (s) => [s.group, await admin.committedOffsets(s.group, s.inputs)] as const)),
    admin.topicOffsets(topicsOf(plan)),
  ]);
  return { at: now(), groups: new Map(groups.map((g) => [g.groupId, g])), committed: new Map(committed), topics };
}

/** What a running coordinator knows of a stage beyond the cluster's view. */
export interface LocalStageStatus {
  /** running | idle (a cron stage between runs) | finished | failed | stopped | starting | restarting */
  state: string;
  instances: number;
  running: number;
  restarts: number;
  crashes: number;
  lastError?: string;
  /** Records read, written and dead-lettered by this coordinator's instances since it started; retries of retriable failures. */
  read: number;
  written: number;
  deadLettered: number;
  retried: number;
  /** The stores' restores from their changelogs, per store and partition, done ones included. */
  restores: RestoreStatus[];
}

export interface RestoreStatus extends StoreRestore {
  /** Changes restored per second while the restore runs; 0 once done. */
  perSecond: number;
}

/**
 * One entry per store and partition: the latest restore (instances that held
 * a partition before a rebalance keep reporting their finished restore).
 */
export function restoreStatus(restores: Iterable<StoreRestore>, now: number = Date.now()): RestoreStatus[] {
  const latest = new Map<string, StoreRestore>();
  for (const r of restores) {
    const id = `${r.store}/${r.partition}`;
    const known = latest.get(id);
    if (known === undefined || r.startedAt > known.startedAt) latest.set(id, r);
  }
  return [...latest.values()]
    .sort((a, b) => a.store.localeCompare(b.store) || a.partition - b.partition)
    .map((r) => ({ ...r, perSecond: r.remaining > 0 ? (r.restored * 1_000) / Math.max(1, now - r.startedAt) : 0 }));
}

export interface PartitionLag {
  topic: string;
  partition: number;
  committed: string | null;
  end: string;
  lag: number;
}

export interface StageStatus {
  stage: string;
  vertex: string;
  group: string | null;
  trigger: string;
  /**
   * A window stage: its inputs are committed only once the windows built
   * from them close, so committed offsets stand still while inputs wait in
   * open windows.
   */
  windowed: boolean;
  /** The group's state; null for stages with no topic input. */
  groupState: GroupState | null;
  members: GroupMemberDescription[];
  partitions: PartitionLag[];
  /** Sum over partitions; null for stages with no topic input. */
  lag: number | null;
  /** Records/s: committed-offset progress of the inputs (or records read, for other sources), high-watermark growth of the outputs. */
  inputRate: number | null;
  outputRate: number | null;
  deadLetterTopic: string;
  /** Records in the dead-letter topic (shared by every stage that names it). */
  deadLettered: number | null;
  local?: LocalStageStatus;
}

export interface TopicStatus {
  topic: string;
  partitions: number;
  /** Sum of high watermarks: records ever written. */
  end: number;
  rate: number | null;
}

export interface StatusSnapshot {
  topology: string;
  transport: 'kafka' | 'embedded';
  at: string;
  stages: StageStatus[];
  topics: TopicStatus[];
}

function sumHigh(ranges: readonly PartitionRange[] | undefined): number {
  return (ranges ?? []).reduce((n, r) => n + Number(r.high), 0);
}

function perSecond(now: number, before: number | undefined, dtMs: number | undefined): number | null {
  if (before === undefined || dtMs === undefined || dtMs <= 0) return null;
  return Math.max(0, ((now - before) * 1_000) / dtMs);
}

function partitionLags(stage: StagePlan, sample: ClusterSample): PartitionLag[] {
  const committed = sample.committed.get(stage.group!) ?? new Map<string, PartitionOffset[]>();
  const lags: PartitionLag[] = [];
  for (const topic of stage.inputs) {
    const done = new Map((committed.get(topic) ?? []).map((c) => [c.partition, c.offset]));
    for (const { partition, low, high } of sample.topics.get(topic) ?? []) {
      const at = done.get(partition) ?? null;
      lags.push({ topic, partition, committed: at, end: high, lag: Math.max(0, Number(high) - Number(at ?? low)) });
    }
  }
  return lags;
}

function committedTotal(lags: readonly PartitionLag[]): number {
  return lags.reduce((n, l) => n + Number(l.committed ?? 0), 0);
}

function describeTrigger(stage: StagePlan): string {
  return stage.trigger.kind === 'cron' ? `cron ${stage.trigger.cron}` : 'always';
}

function stageStatus(
  stage: StagePlan,
  sample: ClusterSample,
  previous: ClusterSample | undefined,
  local: LocalStageStatus | undefined,
  localBefore: LocalStageStatus | undefined,
): StageStatus {
  const dt = previous !== undefined ? sample.at - previous.at : undefined;
  const group = stage.group !== undefined ? sample.groups.get(stage.group) : undefined;
  const lags = stage.group !== undefined ? partitionLags(stage, sample) : [];
  const before = stage.group !== undefined && previous !== undefined ? committedTotal(partitionLags(stage, previous)) : undefined;
  const inputRate =
    stage.group !== undefined
      ? perSecond(committedTotal(lags), before, dt)
      : perSecond(local?.read ?? 0, local !== undefined ? localBefore?.read : undefined, dt);
  const written = stage.outputs.reduce((n, t) => n + sumHigh(sample.topics.get(t)), 0);
  const writtenBefore = previous !== undefined ? stage.outputs.reduce((n, t) => n + sumHigh(previous.topics.get(t)), 0) : undefined;
  const outputRate =
    stage.outputs.length > 0 ? perSecond(written, writtenBefore, dt) : perSecond(local?.written ?? 0, local !== undefined ? localBefore?.written : undefined, dt);
  const dlq = sample.topics.get(stage.deadLetter);
  return {
    stage: stage.stage,
    vertex: stage.vertex,
    group: stage.group ?? null,
    trigger: describeTrigger(stage),
    windowed: stage.node.window !== undefined,
    groupState: stage.group !== undefined ? (group?.state ?? 'Dead') : null,
    members: group?.members ?? [],
    partitions: lags,
    lag: stage.group !== undefined ? lags.reduce((n, l) => n + l.lag, 0) : null,
    inputRate,
    outputRate,
    deadLetterTopic: stage.deadLetter,
    deadLettered: dlq !== undefined ? sumHigh(dlq) : null,
    ...(local !== undefined ? { local } : {}),
  };
}

export interface StatusInput {
  plan: TopologyPlan;
  sample: ClusterSample;
  previous?: ClusterSample;
  local?: ReadonlyMap<string, LocalStageStatus>;
  localBefore?: ReadonlyMap<string, LocalStageStatus>;
}

export function statusOf(input: StatusInput, transport: 'kafka' | 'embedded'): StatusSnapshot {
  const { plan, sample, previous } = input;
  const dt = previous !== undefined ? sample.at - previous.at : undefined;
  return {
    topology: plan.topology.name,
    transport,
    at: new Date(sample.at).toISOString(),
    stages: plan.stages.map((s) => stageStatus(s, sample, previous, input.local?.get(s.stage), input.localBefore?.get(s.stage))),
    topics: [...sample.topics].map(([topic, ranges]) => ({
      topic,
      partitions: ranges.length,
      end: sumHigh(ranges),
      rate: previous?.topics.has(topic) ? perSecond(sumHigh(ranges), sumHigh(previous.topics.get(topic)), dt) : null,
    })),
  };
}
