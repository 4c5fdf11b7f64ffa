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

describe('co-partitioning of table joins (one checker with stream joins, join.test.ts), placed at file:line:col', () => {
  it('accept a compacted table with the stream’s partition count and key', async () => {
    expect(await problems(topology())).toEqual([]);
    expect(await problems(topology({ key: 'customer_id', join: '{ table: customers, on: key, as: customer, kind: left }' }))).toEqual([]);
  });

  it('refuse unequal partition counts, at the table', async () => {
    expect(await problems(topology({ customers: '{ partitions: 2, cleanup: compact }' }))).toEqual([
      `${ErrorCodes.TOPOLOGY_COPARTITION} 14:24 node \`enrich\` joins \`orders\` (3 partitions) with \`customers\` (2): matching records would be read by different tasks`,
    ]);
  });

  it('refuse a stream not keyed by the field joined on, at its `from`, naming the writer', async () => {
    expect(await problems(topology({ key: 'order_id' }))).toEqual([
      `${ErrorCodes.TOPOLOGY_COPARTITION} 12:11 node \`enrich\` joins on \`customer_id\`, but node \`load\` writes \`orders\` keyed by \`order_id\`: matching records would be on different partitions`,
    ]);
  });

  it('refuse `on: key` after a step that re-keys', async () => {
    const found = await problems(topology({ enrichExtra: '      - key: { field: order_id }', join: '{ table: customers, on: key, as: customer }' }));
    expect(found).toEqual([`${ErrorCodes.TOPOLOGY_COPARTITION} 15:39 node \`enrich\` may re-key its records (a \`key\` step) before the join, so they are no longer on the partition of their key`]);
  });

  it('refuse a table topic that is not compacted, or not declared', async () => {
    expect(await problems(topology({ customers: '{ partitions: 3 }' }))).toEqual([
      expect.stringMatching(new RegExp(`^${ErrorCodes.TOPOLOGY_COPARTITION} 14:24 table \`customers\` is restored from its topic, .*cleanup: compact`)),
    ]);
    expect(await problems(topology({ join: '{ table: people, on: customer_id, as: customer }' }))).toContain(
      `${ErrorCodes.TOPOLOGY_TOPIC_UNKNOWN} 14:24 table \`people\` is not declared under \`topics:\``,
    );
  });

  it('refuse a stream join written as a step, with one message at the step', async () => {
    expect(await problems(topology({ join: '{ stream: customers, on: customer_id, within: 5m }' }))).toEqual([
      `${ErrorCodes.TOPOLOGY_INVALID} 14:9 node \`enrich\`: a stream join is not a step: it makes \`stream\` a second input of the node, so it is the node’s \`join:\` key, beside \`from:\` (before \`process\`)`,
    ]);
  });
});
