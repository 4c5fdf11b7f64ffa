/**
 * Queries of tables, below HTTP: which stage and store a table query goes
 * to (the topic as written, namespaced as run), the answer an instance gives
 * for its table (restoring until the table's own restore is done), and the
 * reply each outcome becomes. The table-query fixture's `enrich` keeps the
 * `customers` topic as a table; end to end on both transports, see
 * test/integration/coordinator/table-queries.test.ts.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { planTopology, storeStage, type QueryOutcome, type StoreTarget } from '../../../src/coordinator/index.ts';
import { answerQuery, queryReply } from '../../../src/coordinator/query.ts';
import { ErrorCodes } from '../../../src/core/index.ts';
import type { RestoreProgress, StoreAnswer } from '../../../src/runtime/index.ts';
import { loadTopology } from '../../../src/topology/index.ts';
import { partitionForKey } from '../../../src/transport/index.ts';

const fixture = fileURLToPath(new URL('../../fixtures/table-query/topology.yaml', import.meta.url));
const orders = fileURLToPath(new URL('../../../topologies/orders/topology.yaml', import.meta.url));
const plan = planTopology(await loadTopology(fixture), { namespace: 'ns.' });
const enrich = plan.stages.find((s) => s.stage === 'enrich')!;

describe('storeStage for tables', () => {
  it('finds a table by its topic as written and names it as the stage knows it (namespaced)', () => {
    const target = storeStage(plan, 'enrich', 'customers');
    expect(target.stage.stage).toBe('enrich');
    expect(target.store).toBe('ns.customers');
    // The namespaced name is how the run names it, not a store a query names.
    expect(() => storeStage(plan, 'enrich', 'ns.customers')).toThrow(/keeps no store `ns.customers`; its stores: customers$/);
  });

  it("lists a node's queryable stores, tables included, and not a stream join's buffer", async () => {
    expect(() => storeStage(plan, 'nope', 'customers')).toThrow(/no node `nope` in table-query; nodes with stores: enrich$/);
    const example = planTopology(await loadTopology(orders));
    expect(storeStage(example, 'enrich', 'customers').store).toBe('customers');
    expect(() => storeStage(example, 'pay', 'join')).toThrow(/node `pay` keeps no store `join`$/);
    expect(() => storeStage(example, 'enrich', 'aggregate')).toThrow(/its stores: customers$/);
  });
});

/** A stage as answerQuery sees it: the partitions it holds, its restores, and what its table holds. */
function stage(partitions: number[], restores: Array<Pick<RestoreProgress, 'store' | 'task' | 'remaining'>>, rows: Record<string, unknown>) {
  const asked: string[] = [];
  return {
    asked,
    stage: {
      node: enrich.node,
      partitions,
      restores: restores.map((r) => ({ ...r, restored: 0, startedAt: 0 })),
      query(store: string, key: string): StoreAnswer {
        asked.push(`${store}/${key}`);
        return { owned: true, partition: partitions[0]!, type: 'table', value: rows[key] };
      },
    },
  };
}

describe('answerQuery for a table', () => {
  const done = { store: 'table-ns.customers', task: 1, remaining: 0 };

  it("answers from the table once the table's own restore is done", () => {
    const { stage: s, asked } = stage([1], [done], { 'c-1': { tier: 'gold' } });
    expect(answerQuery(s, 'ns.customers', 'c-1', 1)).toEqual({ kind: 'owned', partition: 1, type: 'table', value: { tier: 'gold' } });
    expect(answerQuery(s, 'ns.customers', 'c-9', 1)).toEqual({ kind: 'owned', partition: 1, type: 'table', value: undefined });
    expect(asked).toEqual(['ns.customers/c-1', 'ns.customers/c-9']);
  });

  it('is restoring while the table restores, or before its restore has reported, whatever other stores do', () => {
    const restoring = stage([1], [{ ...done, remaining: 40 }, { store: 'aggregate', task: 1, remaining: 0 }], {});
    expect(answerQuery(restoring.stage, 'ns.customers', 'c-1', 1)).toEqual({ kind: 'restoring', partition: 1, remaining: 40 });
    const unreported = stage([1], [{ ...done, task: 0 }], {});
    expect(answerQuery(unreported.stage, 'ns.customers', 'c-1', 1)).toEqual({ kind: 'restoring', partition: 1, remaining: 0 });
    expect([...restoring.asked, ...unreported.asked]).toEqual([]);
  });

  it('sends a partition it does not hold elsewhere', () => {
    expect(answerQuery(stage([0], [done], {}).stage, 'ns.customers', 'c-1', 1)).toEqual({ kind: 'elsewhere', partition: 1 });
  });
});

describe('queryReply for a table', () => {
  async function reply(key: string, outcome: (partition: number) => QueryOutcome) {
    const asked: Array<{ target: StoreTarget; partition: number }> = [];
    const answer = await queryReply(plan, async (target, _key, partition) => (asked.push({ target, partition }), outcome(partition)), 'enrich', 'customers', key);
    return { ...answer, asked };
  }

  it("asks the key's partition of the table, as the partitioner places it, and answers its value", async () => {
    const partition = partitionForKey('c-1', 3);
    const ok = await reply('c-1', (p) => ({ kind: 'owned', partition: p, type: 'table', value: { id: 'c-1', tier: 'gold' } }));
    expect(ok.asked).toEqual([{ target: { stage: enrich, store: 'ns.customers' }, partition }]);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ node: 'enrich', store: 'customers', key: 'c-1', partition, value: { id: 'c-1', tier: 'gold' } });
  });

  it('answers no row 404, and the refusals windows give', async () => {
    const missing = await reply('c-9', (p) => ({ kind: 'owned', partition: p, type: 'table', value: undefined }));
    expect(missing).toMatchObject({ status: 404, body: { code: ErrorCodes.KEY_NOT_FOUND, error: 'no row of key `c-9` in enrich/customers', key: 'c-9' } });
    expect(missing.body.value).toBeUndefined();
    const restoring = await reply('c-1', (p) => ({ kind: 'restoring', partition: p, remaining: 7 }));
    expect(restoring).toMatchObject({ status: 503, body: { code: ErrorCodes.STORE_RESTORING, store: 'customers', remaining: 7 } });
    const owner = { memberId: 'm-1', clientId: 'c', host: '/10.0.0.2' };
    expect(await reply('c-1', (p) => ({ kind: 'owner', partition: p, owner }))).toMatchObject({ status: 404, body: { code: ErrorCodes.KEY_NOT_OWNED, owner } });
    expect(await reply('c-1', (p) => ({ kind: 'unavailable', partition: p }))).toMatchObject({ status: 503, body: { code: ErrorCodes.STORE_UNAVAILABLE } });
  });
});
