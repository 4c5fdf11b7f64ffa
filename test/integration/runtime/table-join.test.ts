/**
 * The stream–table join end to end, on the embedded transport and on Kafka:
 * orders enriched with the latest row of their customer from a compacted
 * `customers` topic kept as a table in each task of the joining stage.
 *
 * The feeds are HTTP sources, which never end, so the run stays up while the test
 * writes the topics itself.
 *
 * - Results equal an independent computation (a map of each customer's last
 *   row, looked up per order; a left join keeps unknown customers' orders).
 * - A table update reaches the orders read after it: the run stays up, the
 *   update is sent while it runs, and from the first order that shows it on,
 *   every order does, and none before it did.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/index.ts';
import { TopologyRun } from '../../../src/runtime/index.ts';
import { loadTopology } from '../../../src/topology/index.ts';
import { createTransport, type Producer, type Transport } from '../../../src/transport/index.ts';
import { brokers, uniqueName } from '../harness/kafka.ts';
import { lines, writeTopology } from './examples.ts';
import { freePort } from './http-client.ts';

const PARTITIONS = 3;

/** Ports the system gives: a random one could be an ephemeral port some connection of a parallel test holds. */
async function shop(kind: 'inner' | 'left'): Promise<string> {
  const customersPort = await freePort();
  let ordersPort = await freePort();
  while (ordersPort === customersPort) ordersPort = await freePort();
  return writeTopology({
    'topology.yaml': `
name: shop
topics:
  customers: { partitions: ${PARTITIONS}, cleanup: compact }
  orders: { partitions: ${PARTITIONS} }
nodes:
  feed-customers:
    source: { http: { port: ${customersPort} } }
    to: customers
  feed-orders:
    source: { http: { port: ${ordersPort} } }
    process:
      - key: { field: customer_id }
    to: orders
  enrich:
    from: orders
    process:
      - join: { table: customers, on: customer_id, as: customer, kind: ${kind} }
    to: orders.enriched
  store:
    from: orders.enriched
    sink: { file: ./out/enriched.ndjson }
`,
  });
}

interface Order { order_id: string; customer_id: string; n: number }
interface Customer { id: string; tier: string }
type Enriched = Order & { customer: Customer | null };

function transportOf(kind: 'embedded' | 'kafka'): Transport {
  return kind === 'embedded'
    ? createTransport({ clientId: 'sluice-tables-test', logger: silentLogger })
    : createTransport({ brokers: brokers(), clientId: 'sluice-tables-test', logger: silentLogger });
}

async function sendCustomers(producer: Producer, ns: string, rows: Array<Customer | { id: string; deleted: true }>): Promise<void> {
  await producer.send(rows.map((c) => ({ topic: `${ns}customers`, key: c.id, value: 'deleted' in c ? null : JSON.stringify(c) })));
}

async function sendOrders(producer: Producer, ns: string, orders: readonly Order[]): Promise<void> {
  await producer.send(orders.map((o) => ({ topic: `${ns}orders`, key: o.customer_id, value: JSON.stringify(o) })));
}

function readOutput(file: string): Enriched[] {
  return existsSync(file) ? (lines(readFileSync(file, 'utf8')) as Enriched[]) : [];
}

async function until<T>(what: string, fn: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe.each(['embedded', 'kafka'] as const)('the stream–table join on %s', (kind) => {
  it.each(['inner', 'left'] as const)('%s join: equals an independent computation on the same data', async (joinKind) => {
    const file = await shop(joinKind);
    const out = join(dirname(file), 'out/enriched.ndjson');
    const ns = `${uniqueName('tables')}.`;
    const transport = transportOf(kind);
    const customers: Array<Customer | { id: string; deleted: true }> = [];
    for (let i = 0; i < 20; i++) customers.push({ id: `c-${i}`, tier: `t${i % 3}` });
    // Later rows win; a tombstone deletes c-3.
    customers.push({ id: 'c-2', tier: 'gold' }, { id: 'c-3', deleted: true });
    const orders: Order[] = Array.from({ length: 200 }, (_, n) => ({ order_id: `o-${n}`, customer_id: `c-${n % 25}`, n }));
    const run = await TopologyRun.start({ topology: await loadTopology(file), transport, logger: silentLogger, namespace: ns, untilCaughtUp: false, commitIntervalMs: 200 });
    try {
      const producer = await transport.producer();
      await sendCustomers(producer, ns, customers);
      // The table is read up to date first: the join's semantics are the table when the order is read.
      await sleep(kind === 'kafka' ? 3_000 : 300);
      await sendOrders(producer, ns, orders);
      await producer.close();

      const table = new Map<string, Customer>();
      for (const c of customers) ('deleted' in c ? table.delete(c.id) : table.set(c.id, c));
      const expected = orders.flatMap((o): Enriched[] => {
        const match = table.get(o.customer_id);
        return match === undefined && joinKind === 'inner' ? [] : [{ ...o, customer: match ?? null }];
      });
      const got = await until('the enriched orders', () => {
        const rows = readOutput(out);
        return rows.length >= expected.length ? rows : undefined;
      });
      await sleep(300);
      const byId = (a: Enriched, b: Enriched) => a.n - b.n;
      expect(readOutput(out).sort(byId)).toEqual(expected.sort(byId));
      expect(got.some((r) => r.customer === null)).toBe(joinKind === 'left');
    } finally {
      run.stop();
      await run.done;
      await transport.close();
    }
  }, 60_000);

  it('a table update reaches every order read after it, and none before', async () => {
    const file = await shop('left');
    const out = join(dirname(file), 'out/enriched.ndjson');
    const ns = `${uniqueName('tables-late')}.`;
    const transport = transportOf(kind);
    const run = await TopologyRun.start({ topology: await loadTopology(file), transport, logger: silentLogger, namespace: ns, untilCaughtUp: false, commitIntervalMs: 200 });
    try {
      const producer = await transport.producer();
      await sendCustomers(producer, ns, [{ id: 'c-1', tier: 'gold' }]);
      let n = 0;
      const order = async () => {
        const o = { order_id: `o-${n}`, customer_id: 'c-1', n: n++ };
        await sendOrders(producer, ns, [o]);
        return until(`order ${o.order_id}`, () => readOutput(out).find((r) => r.n === o.n));
      };
      // Until the table has c-1 (the consumer may read the first orders before it), then once more.
      while ((await order()).customer === null) if (n > 100) throw new Error('c-1 never reached the table');
      expect((await order()).customer?.tier).toBe('gold');
      await sendCustomers(producer, ns, [{ id: 'c-1', tier: 'platinum' }]);
      let seen = await order();
      while (seen.customer?.tier !== 'platinum' && n < 200) seen = await order();
      const first = seen.n;
      for (let i = 0; i < 5; i++) await order();
      await producer.close();
      const tiers = readOutput(out).sort((a, b) => a.n - b.n).map((r) => r.customer?.tier ?? null);
      expect(tiers.filter((t) => t === null).every((_, i) => tiers[i] === null)).toBe(true);
      expect(tiers.slice(first)).toEqual(Array(tiers.length - first).fill('platinum'));
      expect(tiers.slice(0, first).filter((t) => t !== null).every((t) => t === 'gold')).toBe(true);
    } finally {
      run.stop();
      await run.done;
      await transport.close();
    }
  }, 60_000);
});
