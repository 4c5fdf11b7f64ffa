import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/core/index.ts';
import { logicalGraph, physicalTopology, storesOf } from '../../../src/topology/index.ts';
import { summary, Workspace } from './helpers.ts';

let ws: Workspace;

beforeAll(async () => {
  ws = await Workspace.create();
  await ws.write('data/a.ndjson', '{"id":"a"}\n');
  const record = (name: string, field: string) => JSON.stringify({ type: 'record', name, fields: [{ name: 'order_id', type: 'string' }, { name: field, type: 'string' }] });
  await ws.write('schemas/order.avsc', record('Order', 'customer'));
  await ws.write('schemas/payment.avsc', record('Payment', 'method'));
});

afterAll(async () => {
  await ws.remove();
});

/** Two keyed inputs and a join node; `join` and the topics' partitions are what each test breaks. */
const joined = (join: string, opts: { ordersKey?: string; paymentsPartitions?: number; extra?: string } = {}): string => `name: t
topics:
  orders: { partitions: 3 }
  payments: { partitions: ${opts.paymentsPartitions ?? 3} }
nodes:
  orders-in:
    source: { file: ./data/a.ndjson }
    process:
      - key: { field: ${opts.ordersKey ?? 'order_id'} }
    to: orders
  payments-in:
    source: { file: ./data/a.ndjson }
    process:
      - key: { field: order_id }
    to: payments
  pay:
    from: orders
    join: ${join}
${opts.extra ?? ''}    to: paid
  out:
    from: paid
    sink: { stdout: true }
`;

describe('join: { stream }', () => {
  it('loads with its defaults, reads both topics, keeps one store with a changelog, and labels its edge', async () => {
    const r = await ws.validate(joined('{ stream: payments, on: order_id, within: 5m }'));
    expect(summary(r.problems)).toEqual([]);
    const pay = r.topology!.nodes.find((n) => n.id === 'pay')!;
    expect(pay.join).toEqual({ with: 'stream', stream: 'payments', on: 'order_id', withinMs: 300_000, graceMs: 0, kind: 'inner', as: 'payments' });
    expect(pay.input).toEqual({ kind: 'topics', topics: ['orders', 'payments'] });
    expect(storesOf(pay)).toEqual(['join']);
    const physical = physicalTopology(r.topology!, 'ns.');
    expect(physical.topics['ns.t.pay.join-changelog']).toMatchObject({ partitions: 3, cleanup: 'compact' });
    expect(physical.nodes.find((n) => n.id === 'pay')!.join?.stream).toBe('ns.payments');
    const edges = logicalGraph(r.topology!.nodes, Object.values(r.topology!.topics)).edges;
    expect(edges.find((e) => e.id === 'edge-topic-payments--node-pay')).toMatchObject({ kind: 'read', label: 'join inner ±5m on order_id' });
  });

  it("the node's reader schema reads its `from` topics, not the joined stream, which keeps its own", async () => {
    const text = joined('{ stream: payments, on: order_id, within: 5m }', { extra: '    schema: Order\n' })
      .replace('name: t\n', 'name: t\nschemas: { Order: ./schemas/order.avsc, Payment: ./schemas/payment.avsc }\n')
      .replace('  orders: { partitions: 3 }', '  orders: { partitions: 3, schema: Order, codec: avro }')
      .replace('  payments: { partitions: 3 }', '  payments: { partitions: 3, schema: Payment, codec: avro }');
    const r = await ws.validate(text);
    expect(summary(r.problems)).toEqual([]);
  });

  it('topics with different partition counts are an error at the join, with file:line:col', async () => {
    const r = await ws.validate(joined('{ stream: payments, on: order_id, within: 5m, kind: left }', { paymentsPartitions: 4 }));
    expect(summary(r.problems)).toEqual([
      `${ErrorCodes.TOPOLOGY_COPARTITION} 18:21 node \`pay\` joins \`orders\` (3 partitions) with \`payments\` (4): matching records would be read by different tasks (give both topics the same \`partitions\`)`,
    ]);
  });

  it('a side written keyed by another field is an error at that side, naming its writer', async () => {
    const r = await ws.validate(joined('{ stream: payments, on: order_id, within: 5m }', { ordersKey: 'customer' }));
    expect(summary(r.problems)).toEqual([
      `${ErrorCodes.TOPOLOGY_COPARTITION} 17:11 node \`pay\` joins on \`order_id\`, but node \`orders-in\` writes \`orders\` keyed by \`customer\`: matching records would be on different partitions (end \`orders-in\`'s process with \`- key: { field: order_id }\`)`,
    ]);
  });

  it('a topic from outside the topology is a warning: its key cannot be checked', async () => {
    const r = await ws.validate(joined('{ stream: refunds, on: order_id, within: 5m }').replace('  payments: {', '  refunds: { partitions: 3 }\n  payments: {'));
    expect(summary(r.problems)).toEqual([]);
    expect(summary(r.warnings)).toContain(
      `${ErrorCodes.TOPOLOGY_COPARTITION} 19:21 node \`pay\` joins on \`order_id\`, and topic \`refunds\` comes from outside this topology: its records must be keyed by \`order_id\``,
    );
  });

  it('bad fields, a join with a window, and a join of a topic with itself are errors where they stand', async () => {
    const window = { extra: '    window: { tumbling: 1m, aggregate: count }\n' };
    const r = await ws.validate(joined('{ stream: orders, on: order_id, within: 0s, kind: full }', window));
    expect(summary(r.problems)).toEqual([
      `${ErrorCodes.TOPOLOGY_INVALID} 18:21 node \`pay\`: \`orders\` is already read by \`from\`: a stream join needs another topic on its right side`,
      `${ErrorCodes.TOPOLOGY_INVALID} 18:51 node \`pay\`: the duration must be greater than zero`,
      `${ErrorCodes.TOPOLOGY_INVALID} 18:61 node \`pay\`: \`join.kind\` must be one of \`inner\`, \`left\`, \`outer\`, not the text "full"`,
      `${ErrorCodes.TOPOLOGY_INVALID} 19:5 node \`pay\`: a node joins or windows, not both: window the join’s output in the node that reads its topic`,
    ]);
  });

  it('a table join written as the node’s key is one error there, saying it is a step', async () => {
    const r = await ws.validate(joined('{ table: payments, on: order_id, as: payment }'));
    expect(summary(r.problems)).toEqual([
      `${ErrorCodes.TOPOLOGY_INVALID} 18:5 node \`pay\`: a table join is a step: write it in \`process\` as \`- join: { table, on, as }\`; the node’s \`join:\` key joins another stream`,
    ]);
  });
});
