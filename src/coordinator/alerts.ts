/**
 * Alerts from a sequence of status snapshots: lag that keeps growing, a group
 * that is stalled (lag but no committed progress), repeated rebalances, and
 * dead letters arriving faster than a threshold. Each fires once when its
 * condition starts and may fire again only after the condition has cleared,
 * so a log reader sees one line per incident, not one per poll. Pure: time is
 * the snapshots' own.
 *
 * What healthy stages do is not an incident. A window stage commits its
 * inputs only when their windows close, so standing commits with lag are
 * its normal state: it is stalled only while new input arrives (lag grows)
 * and its instances read none of it. A cron stage's group is empty between
 * runs, with lag waiting for the next run, and fills and empties at each
 * run: neither is a stall or a rebalance.
 */
import type { StageStatus, StatusSnapshot } from './status.ts';

export interface AlertThresholds {
  /** Lag rising at every sample for longer than this. Default 60 s. */
  lagGrowingMs: number;
  /** Lag above zero with no committed progress for longer than this. Default 30 s. */
  stalledMs: number;
  /** This many rebalances (member set or rebalancing state changes) within `rebalanceWindowMs`. Default 3 in 5 min. */
  rebalances: number;
  rebalanceWindowMs: number;
  /** Dead-lettered records per second above this. Default 1. */
  deadLetterRate: number;
}

export const defaultAlertThresholds: AlertThresholds = {
  lagGrowingMs: 60_000,
  stalledMs: 30_000,
  rebalances: 3,
  rebalanceWindowMs: 5 * 60_000,
  deadLetterRate: 1,
};

export type AlertKind = 'lag-growing' | 'stalled' | 'rebalancing' | 'dead-letters';

export interface Alert {
  kind: AlertKind;
  stage: string;
  message: string;
  /** The figures behind it: lag, how long, rate, count. */
  details: Record<string, number | string>;
}

interface StageHistory {
  lag: number;
  /** Since when lag has risen at every sample. */
  growingSince?: number;
  committed: number;
  /** Since when lag > 0 and nothing was committed. */
  stalledSince?: number;
  members: Set<string>;
  rebalancing: boolean;
  /** Records read by this coordinator's instances (when it runs the stage). */
  read?: number;
  rebalances: number[];
  deadLettered?: number;
  at: number;
  active: Set<AlertKind>;
}

function committedOf(stage: StageStatus): number {
  return stage.partitions.reduce((n, p) => n + Number(p.committed ?? 0), 0);
}

function memberIds(stage: StageStatus): Set<string> {
  return new Set(stage.members.map((m) => m.memberId));
}

function isRebalancing(stage: StageStatus): boolean {
  return stage.groupState === 'PreparingRebalance' || stage.groupState === 'CompletingRebalance';
}

function isCron(stage: StageStatus): boolean {
  return stage.trigger.startsWith('cron');
}

/** Lag that is no incident: inputs held in open windows, or a cron stage waiting for its next run. */
function stallExcused(h: StageHistory, stage: StageStatus, lag: number): boolean {
  if (isCron(stage) && stage.members.length === 0) return true;
  if (!stage.windowed) return false;
  const reading = stage.local !== undefined && h.read !== undefined && stage.local.read > h.read;
  return reading || lag <= h.lag;
}

/**
 * Whether this sample shows a rebalance. For a cron stage, members only
 * joining (a run starting) or only leaving (a run ending) is its schedule at
 * work; a member replaced by another, or a rebalance with the same members,
 * still counts.
 */
function rebalanced(h: StageHistory, stage: StageStatus, members: Set<string>): boolean {
  const joined = [...members].filter((m) => !h.members.has(m)).length;
  const left = [...h.members].filter((m) => !members.has(m)).length;
  const entered = isRebalancing(stage) && !h.rebalancing;
  if (!isCron(stage)) return joined + left > 0 || entered;
  const runStartsOrEnds = (joined > 0 && left === 0) || (left > 0 && joined === 0);
  return (joined > 0 && left > 0) || (entered && !runStartsOrEnds);
}

export class AlertWatcher {
  readonly #thresholds: AlertThresholds;
  readonly #history = new Map<string, StageHistory>();

  constructor(thresholds: Partial<AlertThresholds> = {}) {
    this.#thresholds = { ...defaultAlertThresholds, ...thresholds };
  }

  /** The alerts that start with this snapshot. */
  observe(snapshot: StatusSnapshot): Alert[] {
    const now = Date.parse(snapshot.at);
    const fired: Alert[] = [];
    for (const stage of snapshot.stages) {
      if (stage.lag === null) continue;
      const h = this.#history.get(stage.stage);
      if (h === undefined) {
        this.#history.set(stage.stage, this.#first(stage, now));
        continue;
      }
      const conditions = this.#advance(h, stage, now);
      for (const [kind, alert] of conditions) {
        if (alert === undefined) h.active.delete(kind);
        else if (!h.active.has(kind)) {
          h.active.add(kind);
          fired.push(alert);
        }
      }
    }
    return fired;
  }

  #first(stage: StageStatus, now: number): StageHistory {
    return {
      lag: stage.lag ?? 0,
      committed: committedOf(stage),
      members: memberIds(stage),
      rebalancing: isRebalancing(stage),
      rebalances: [],
      ...(stage.local !== undefined ? { read: stage.local.read } : {}),
      ...(stage.deadLettered !== null ? { deadLettered: stage.deadLettered } : {}),
      at: now,
      active: new Set(),
    };
  }

  /** Updates the history and says, per kind, the alert in force (undefined: cleared). */
  #advance(h: StageHistory, stage: StageStatus, now: number): Map<AlertKind, Alert | undefined> {
    const t = this.#thresholds;
    const lag = stage.lag ?? 0;
    const committed = committedOf(stage);
    const out = new Map<AlertKind, Alert | undefined>();

    h.growingSince = lag > h.lag ? (h.growingSince ?? h.at) : undefined;
    const growingFor = h.growingSince !== undefined ? now - h.growingSince : 0;
    out.set(
      'lag-growing',
      growingFor > t.lagGrowingMs
        ? { kind: 'lag-growing', stage: stage.stage, message: `lag of ${stage.stage} has grown for ${Math.round(growingFor / 1000)} s`, details: { lag, forMs: growingFor } }
        : undefined,
    );

    h.stalledSince = lag > 0 && committed === h.committed && !stallExcused(h, stage, lag) ? (h.stalledSince ?? h.at) : undefined;
    const stalledFor = h.stalledSince !== undefined ? now - h.stalledSince : 0;
    out.set(
      'stalled',
      stalledFor > t.stalledMs
        ? { kind: 'stalled', stage: stage.stage, message: `group of ${stage.stage} is stalled: lag ${lag}, nothing committed for ${Math.round(stalledFor / 1000)} s`, details: { lag, forMs: stalledFor } }
        : undefined,
    );

    const members = memberIds(stage);
    const rebalancing = isRebalancing(stage);
    if (rebalanced(h, stage, members)) h.rebalances.push(now);
    h.rebalances = h.rebalances.filter((at) => at > now - t.rebalanceWindowMs);
    out.set(
      'rebalancing',
      h.rebalances.length >= t.rebalances
        ? { kind: 'rebalancing', stage: stage.stage, message: `group of ${stage.stage} rebalanced ${h.rebalances.length} times in ${Math.round(t.rebalanceWindowMs / 1000)} s`, details: { rebalances: h.rebalances.length } }
        : undefined,
    );

    const dt = now - h.at;
    const dlqRate = stage.deadLettered !== null && h.deadLettered !== undefined && dt > 0 ? ((stage.deadLettered - h.deadLettered) * 1_000) / dt : 0;
    out.set(
      'dead-letters',
      dlqRate > t.deadLetterRate
        ? { kind: 'dead-letters', stage: stage.stage, message: `${stage.deadLetterTopic} receives ${dlqRate.toFixed(1)} dead letters/s`, details: { rate: dlqRate, topic: stage.deadLetterTopic } }
        : undefined,
    );

    Object.assign(h, { lag, committed, members, rebalancing, at: now });
    if (stage.deadLettered !== null) h.deadLettered = stage.deadLettered;
    if (stage.local !== undefined) h.read = stage.local.read;
    return out;
  }
}
