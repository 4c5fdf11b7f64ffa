/**
 * Interactive queries, as Kafka Streams has them: what a store holds for a
 * key (a window's aggregates of it, a table's latest value) is answered by
 * the instance that owns the key's partition, from its store. When no
 * instance in this process owns it, the answer names the member of the
 * stage's consumer group that does, so the caller can ask there. A partition
 * whose store is still restoring (a window's from its changelog, a table's
 * from its topic) is not answered: what it holds would be partial.
 */
import { ErrorCodes, SluiceError, isSluiceError } from '../core/index.ts';
import { tableStoreName, unknownStore, type Stage, type StoreContent } from '../runtime/index.ts';
import { AGGREGATE_STORE, tablesOf, taskCountOf, type Topology, type TopologyNode } from '../topology/index.ts';
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
  | ({ kind: 'owned'; partition: number } & StoreContent)
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
 * restoring too. `store` is named as the stage names it (a table by its
 * topic as run).
 */
export function answerQuery(stage: Pick<Stage, 'node' | 'partitions' | 'restores' | 'query'>, store: string, key: string, partition: number): InstanceAnswer {
  if (!stage.partitions.includes(partition)) return { kind: 'elsewhere', partition };
  const restoring = tablesOf(stage.node).includes(store) ? tableStoreName(store) : store;
  const restore = stage.restores.find((r) => r.task === partition && r.store === restoring);
  if (restore === undefined || restore.remaining > 0) return { kind: 'restoring', partition, remaining: restore?.remaining ?? 0 };
  const answer = stage.query(store, key);
  if (!answer.owned) return { kind: 'elsewhere', partition };
  const { owned: _owned, ...content } = answer;
  return { kind: 'owned', ...content };
}

/** A store a query names: the stage keeping it, and the store's name there. */
export interface StoreTarget {
  stage: StagePlan;
  store: string;
}

/**
 * The stores of a stage a query reads, by the name a query gives them → the
 * name the stage knows them by: its window's, and each table by its topic
 * as written (as run, the topic carries the run's namespace).
 */
function queryableStores(plan: TopologyPlan, stage: StagePlan): Map<string, string> {
  const stores = new Map<string, string>();
  if (stage.node.window !== undefined) stores.set(AGGREGATE_STORE, AGGREGATE_STORE);
  for (const table of tablesOf(stage.node)) stores.set(table.slice(plan.namespace.length), table);
  return stores;
}

/** The stage keeping `store` for `node`, as written (`count`, also for its split `count.window`) or as run. */
export function storeStage(plan: TopologyPlan, node: string, store: string): StoreTarget {
  const named = plan.stages.filter((s) => s.stage === node || s.vertex === `node-${node}`);
  if (named.length === 0) {
    const keeping = [...new Set(plan.stages.filter((s) => queryableStores(plan, s).size > 0).map((s) => s.vertex.slice('node-'.length)))];
    throw new SluiceError(ErrorCodes.STORE_UNKNOWN, `no node \`${node}\` in ${plan.source.name}; nodes with stores: ${keeping.join(', ') || 'none'}`);
  }
  for (const stage of named) {
    const kept = queryableStores(plan, stage).get(store);
    if (kept !== undefined) return { stage, store: kept };
  }
  throw unknownStore(node, store, named.flatMap((s) => [...queryableStores(plan, s).keys()]));
}

/** A window with no aggregates of the key, or a table with no row of it. */
function holdsNothing(content: StoreContent): boolean {
  return content.type === 'window' ? content.results.length === 0 : content.value === undefined;
}

function refusal(status: number, code: string, error: string, extra: Record<string, unknown> = {}): QueryReply {
  return { status, body: { error, code, ...extra } };
}

/** The HTTP answer to `GET /stores/<node>/<store>/<key>`. */
export async function queryReply(
  plan: TopologyPlan,
  ask: (target: StoreTarget, key: string, partition: number) => Promise<QueryOutcome>,
  node: string,
  store: string,
  key: string,
): Promise<QueryReply> {
  let target: StoreTarget;
  try {
    target = storeStage(plan, node, store);
  } catch (err) {
    if (isSluiceError(err)) return refusal(404, err.code, err.message);
    throw err;
  }
  const written = target.stage.vertex.slice('node-'.length);
  const where = { node: written, store, key };
  const outcome = await ask(target, key, keyPartition(plan.topology, target.stage.node, key));
  const { partition } = outcome;
  switch (outcome.kind) {
    case 'owned': {
      const { kind: _kind, type, ...found } = outcome;
      if (holdsNothing(outcome)) return refusal(404, ErrorCodes.KEY_NOT_FOUND, `no ${type === 'window' ? 'aggregates' : 'row'} of key \`${key}\` in ${written}/${store}`, { ...where, partition });
      return { status: 200, body: { ...where, ...found } };
    }
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
