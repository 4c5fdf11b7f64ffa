/**
 * The stream–stream join end to end, on both transports: the orders example's orders and payments published
 * to two co-partitioned topics, joined by a stage, and compared with the same left join computed here
 * over all the records at once. Two runs: the first leaves unmatched orders waiting in the store; the
 * second restores the store from its changelog, and a later order per partition closes their windows.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/index.ts';
import { TopologyRun } from '../../../src/runtime/index.ts';
import { loadTopology } from '../../../src/topology/index.ts';
import { createEmbeddedTransport, createTransport, EmbeddedBroker, partitionForKey, type Transport } from '../../../src/transport/index.ts';
import { brokers, uniqueName } from '../harness/kafka.ts';
import { readTopicToMarkers } from '../harness/read-topic.ts';
import { exampleInput, lines, writeTopology } from './examples.ts';

interface Order {
  order_id: string;
  ts: number;
  [field: string]: unknown;
}

const MIN = 60_000;
const WITHIN = 5 * MIN;
const GRACE = 2 * 60 * MIN;
const PARTITIONS = 3;

const orders = lines(exampleInput('orders', 'data/orders.ndjson')) as Order[];
const payments = lines(exampleInput('orders', 'data/payments.ndjson')) as Order[];

/** One order per partition, far enough after every other record to close all their windows. */
function closingOrders(): Order[] {
  const at = Math.max(...[...orders, ...payments].map((r) => r.ts)) + WITHIN + GRACE + MIN;
  const out: Order[] = [];
  for (let n = 0; out.length < PARTITIONS; n++) {
    const order_id = `tick-${n}`;
    if (!out.some((o) => partitionForKey(o.order_id, PARTITIONS) === partitionForKey(order_id, PARTITIONS))) out.push({ order_id, ts: at });
  }
  return out;
}

/** The left join over all records at once: every pair within the bound; with `closed`, every unmatched order too. */
function leftJoin(closed: boolean): string[] {
  const out: string[] = [];
  for (const o of orders) {
    const matches = payments.filter((p) => p.order_id === o.order_id && Math.abs(p.ts - o.ts) <= WITHIN);
    for (const p of matches) out.push(JSON.stringify({ key: o.order_id, value: { ...o, payment: p }, timestamp: Math.max(o.ts, p.ts) }));
    if (matches.length === 0 && closed) out.push(JSON.stringify({ key: o.order_id, value: { ...o, payment: null }, timestamp: o.ts }));
  }
  return out.sort();
}

const topologyText = (guarantee: string) => `name: sj
defaults: { guarantee: ${guarantee} }
topics:
  orders: { partitions: ${PARTITIONS} }
  payments: { partitions: ${PARTITIONS} }
  paid: { partitions: ${PARTITIONS} }
nodes:
  pay:
    from: orders
    join: { stream: payments, on: order_id, within: 5m, grace: 2h, kind: left, as: payment }
    to: paid
`;

async function publish(transport: Transport, topic: string, records: readonly Order[]): Promise<void> {
  const producer = await transport.producer();
  await producer.send(records.map((r) => ({ topic, key: r.order_id, value: JSON.stringify(r), timestamp: r.ts })));
  await producer.close();
}

async function results(transport: Transport, topic: string): Promise<string[]> {
  const records = await readTopicToMarkers(transport, topic);
  return records.map((r) => JSON.stringify({ key: r.key!.toString(), value: JSON.parse(r.value!.toString()) as unknown, timestamp: r.timestamp })).sort();
}

const kafka = () => ({ transport: createTransport({ brokers: brokers(), clientId: 'sluice-stream-join-test', logger: silentLogger }), namespace: `${uniqueName('streamjoin')}.` });
const transports: Array<[string, string, () => { transport: Transport; namespace: string }]> = [
  ['embedded', 'at-least-once', () => ({ transport: createEmbeddedTransport(new EmbeddedBroker()), namespace: '' })],
  ['kafka', 'at-least-once', kafka],
  // Its outputs, offsets and store changes in one transaction per task: read back read_committed.
  ['kafka', 'exactly-once', kafka],
];

describe.each(transports)('a left stream–stream join on the %s transport, %s', (_name, guarantee, make) => {
  it('equals the join computed over all records, across a restart that restores its store', async () => {
    const { transport, namespace } = make();
    try {
      const topology = await loadTopology(writeTopology({ 'topology.yaml': topologyText(guarantee) }), { env: {} });
      const run = async () => {
        const r = await TopologyRun.start({ topology, transport, logger: silentLogger, untilCaughtUp: true, commitIntervalMs: 200, namespace });
        return r.done;
      };
      await transport.createTopics(['orders', 'payments', 'paid'].map((t) => ({ name: `${namespace}${t}`, partitions: PARTITIONS })));
      await publish(transport, `${namespace}orders`, orders);
      await publish(transport, `${namespace}payments`, payments);
      const first = await run();
      expect(first.stages[0]!.deadLettered).toBe(0);
      // The grace (2h) is open for every order: only pairs so far.
      expect(await results(transport, `${namespace}paid`)).toEqual(leftJoin(false));

      await publish(transport, `${namespace}orders`, closingOrders());
      await run();
      expect(await results(transport, `${namespace}paid`)).toEqual(leftJoin(true));
    } finally {
      await transport.close();
    }
  }, 120_000);
});
