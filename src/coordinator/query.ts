/**
 * Interactive queries, as Kafka Streams has them: a key's aggregates are
 * answered by the instance that owns the key's partition, from its store.
 * When no instance in this process owns it, the answer names the member of
 * the stage's consumer group that does, so the caller can ask there. A
 * partition whose store is still restoring from its changelog is not
 * answered: its aggregates would be partial.
 */
import { ErrorCodes, SluiceError, isSluiceError } from '../core/index.ts';
import type { WindowResult } from '../processors/index.ts';
import type { Stage } from '../runtime/index.ts';
import { storesOf, taskCountOf, type Topology, type TopologyNode } from '../topology/index.ts';
import { partitionForKey } from '../transport/index.ts';
import type { StagePlan, TopologyPlan } from './plan.ts';

/** A store's restore from its changelog in one task (partition), as reports and status carry it. */
export interface StoreRestore {
  store: string;
  partition: number;
  restored: number;
  /** Changes still to read; 0 once restored. */
  remaining: number;
  /** Milliseconds since the epoch. */
  startedAt: number;
}

/** What one stage instance answers about a key. */
export type InstanceAnswer =
  | { kind: 'owned'; partition: number; results: WindowResult<unknown>[] }
  | { kind: 'elsewhere'; partition: number }
  | { kind: 'restoring'; partition: number; remaining: number };

/** The consumer group member that owns a partition (from DescribeGroups). */
export interface Owner {
  memberId: string;
  clientId: string;
  host: string;
}

/** What a runner answers: an instance's answer, the member owning the partition, or nobody holding it now. */
export type QueryOutcome = InstanceAnswer | { kind: 'owner'; partition: number; owner: Owner } | { kind: 'unavailable'; partition: number };

export interface QueryReply {
  status: number;
  body: Record<string, unknown>;
}

/** The task (input partition) whose store holds `key`: as the partitioner places keyed records. */
export function keyPartition(topology: Topology, node: TopologyNode, key: string): number {
  return node.input.kind === 'topics' ? partitionForKey(key, taskCountOf(topology, node)) : 0;
}

export function restoresOf(stage: Stage): StoreRestore[] {
  return stage.restores.map(({ store, task, restored, remaining, startedAt }) => ({ store, partition: task, restored, remaining, startedAt }));
}

/**
 * The restoring check comes before the store is read: a store whose restore
 * has not reported yet (its changelog's end is being read) counts as
 * restoring too.
 */
export function answerQuery(stage: Stage, key: string, partition: number): InstanceAnswer {
  if (!stage.partitions.includes(partition)) return { kind: 'elsewhere', partition };
  const restores = stage.restores.filter((r) => r.task === partition);
  const pending = storesOf(stage.node).filter((store) => !restores.some((r) => r.store === store && r.remaining === 0));
  if (pending.length > 0) return { kind: 'restoring', partition, remaining: restores.reduce((n, r) => n + r.remaining, 0) };
  const answer = stage.query(key);
  return answer.owned ? { kind: 'owned', partition, results: answer.results } : { kind: 'elsewhere', partition };
}

/** The stage keeping `store` for `node`, as written (`count`, also for its split `count.window`) or as run. */
export function storeStage(plan: TopologyPlan, node: string, store: string): StagePlan {
  const named = plan.stages.filter((s) => s.stage === node || s.vertex === `node-${node}`);
  if (named.length === 0) {
    const keeping = [...new Set(plan.stages.filter((s) => storesOf(s.node).length > 0).map((s) => s.vertex.slice('node-'.length)))];
    throw new SluiceError(ErrorCodes.STORE_UNKNOWN, `no node \`${node}\` in ${plan.source.name}; nodes with stores: ${keeping.join(', ') || 'none'}`);
  }
  const stage = named.find((s) => storesOf(s.node).includes(store));
  if (stage === undefined) {
    const kept = named.flatMap((s) => storesOf(s.node));
    throw new SluiceError(ErrorCodes.STORE_UNKNOWN, `node \`${node}\` keeps no store \`${store}\`${kept.length > 0 ? `; its stores: ${kept.join(', ')}` : ''}`);
  }
  return stage;
}

function refusal(status: number, code: string, error: string, extra: Record<string, unknown> = {}): QueryReply {
  return { status, body: { error, code, ...extra } };
}

/** The HTTP answer to `GET /stores/<node>/<store>/<key>`. */
export async function queryReply(
  plan: TopologyPlan,
  ask: (stage: StagePlan, key: string, partition: number) => Promise<QueryOutcome>,
  node: string,
  store: string,
  key: string,
): Promise<QueryReply> {
  let stage: StagePlan;
  try {
    stage = storeStage(plan, node, store);
  } catch (err) {
    if (isSluiceError(err)) return refusal(404, err.code, err.message);
    throw err;
  }
  const written = stage.vertex.slice('node-'.length);
  const where = { node: written, store, key };
  const outcome = await ask(stage, key, keyPartition(plan.topology, stage.node, key));
  const { partition } = outcome;
  switch (outcome.kind) {
    case 'owned':
      if (outcome.results.length === 0) return refusal(404, ErrorCodes.KEY_NOT_FOUND, `no aggregates of key \`${key}\` in ${written}/${store}`, { ...where, partition });
      return { status: 200, body: { ...where, partition, results: outcome.results } };
    case 'owner': {
      const { memberId, clientId, host } = outcome.owner;
      return refusal(404, ErrorCodes.KEY_NOT_OWNED, `partition ${partition} of ${written}/${store} is owned by member ${memberId} (client ${clientId} on ${host})`, {
        ...where,
        partition,
        owner: outcome.owner,
      });
    }
    case 'restoring':
      return refusal(503, ErrorCodes.STORE_RESTORING, `partition ${partition} of ${written}/${store} is restoring from its changelog (${outcome.remaining} changes to go)`, {
        ...where,
        partition,
        remaining: outcome.remaining,
      });
    case 'elsewhere':
    case 'unavailable':
      return refusal(503, ErrorCodes.STORE_UNAVAILABLE, `no running instance holds partition ${partition} of ${written}/${store} now (stopped, or the group is rebalancing)`, { ...where, partition });
  }
}
