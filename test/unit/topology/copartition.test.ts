import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/core/index.ts';
import { Workspace } from './helpers.ts';

let ws: Workspace;
beforeAll(async () => (ws = await Workspace.create()));
afterAll(async () => ws.remove());

function topology(opts: { customers?: string; orders?: string; key?: string; join?: string; enrichExtra?: string } = {}): string {
  return [
    'name: shop',
    'topics:',
    `  customers: ${opts.customers ?? '{ partitions: 3, cleanup: compact }'}`,
    `  orders: ${opts.orders ?? '{ partitions: 3 }'}`,
    'nodes:',
    '  load:',
    '    source: { file: ./orders.ndjson }',
    '    process:',
    `      - key: { field: ${opts.key ?? 'customer_id'} }`,
    '    to: orders',
    '  enrich:',
    '    from: orders',
    '    process:',
    ...(opts.enrichExtra !== undefined ? [opts.enrichExtra] : []),
    `      - join: ${opts.join ?? '{ table: customers, on: customer_id, as: customer }'}`,
    '    to: orders.enriched',
    '',
  ].join('\n');
}

async function problems(text: string): Promise<string[]> {
  await ws.write('orders.ndjson', '');
  const r = await ws.validate(text);
  return r.problems.map((p) => `${p.code} ${p.line}:${p.column} ${p.message}`);
}

describe('table joins: co-partitioning checks, placed at file:line:col', () => {
  it('accept a compacted table with the stream’s partition count and key', async () => {
    expect(await problems(topology())).toEqual([]);
    expect(await problems(topology({ key: 'customer_id', join: '{ table: customers, on: key, as: customer, kind: left }' }))).toEqual([]);
  });

  it('refuse unequal partition counts, at the table', async () => {
    expect(await problems(topology({ customers: '{ partitions: 2, cleanup: compact }' }))).toEqual([
      `${ErrorCodes.TOPOLOGY_COPARTITION} 14:24 \`orders\` has 3 partition(s) and \`customers\` 2: joined topics need equal partition counts, so a key’s records meet in one task`,
    ]);
  });

  it('refuse a stream not keyed by the field joined on, at `on`', async () => {
    const found = await problems(topology({ key: 'order_id' }));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(new RegExp(`^${ErrorCodes.TOPOLOGY_COPARTITION} 14:39 the records joined on \`customer_id\` are not known to be keyed by it`));
  });

  it('refuse `on: key` after a step that re-keys', async () => {
    const found = await problems(topology({ enrichExtra: '      - key: { field: order_id }', join: '{ table: customers, on: key, as: customer }' }));
    expect(found).toEqual([expect.stringMatching(new RegExp(`^${ErrorCodes.TOPOLOGY_COPARTITION} 15:39 node \`enrich\` re-keys its records before the join`))]);
  });

  it('refuse a table topic that is not compacted, or not declared', async () => {
    expect(await problems(topology({ customers: '{ partitions: 3 }' }))).toEqual([
      expect.stringMatching(new RegExp(`^${ErrorCodes.TOPOLOGY_COPARTITION} 14:24 table \`customers\` is restored from its topic, .*cleanup: compact`)),
    ]);
    expect(await problems(topology({ join: '{ table: people, on: customer_id, as: customer }' }))).toContain(
      `${ErrorCodes.TOPOLOGY_TOPIC_UNKNOWN} 14:24 table \`people\` is not declared under \`topics:\``,
    );
  });
});
