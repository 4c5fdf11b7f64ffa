/**
 * Every example topology runs end to end on both transports and produces the
 * output computed independently here from its input file.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCodecChain, KeyRing, loadSchemaFile } from '../../../src/codecs/index.ts';
import { silentLogger } from '../../../src/core/index.ts';
import { createEmbeddedTransport, createTransport, EmbeddedBroker, partitionForKey, type Transport } from '../../../src/transport/index.ts';
import { brokers, uniqueName } from '../harness/kafka.ts';
import { readTopicToMarkers } from '../harness/read-topic.ts';
import { exampleInput, lines, runExample, type ExampleRun } from './examples.ts';

const transports: Array<[string, () => { transport: Transport; namespace?: string }]> = [
  ['embedded', () => ({ transport: createEmbeddedTransport(new EmbeddedBroker()) })],
  [
    'kafka',
    () => ({
      transport: createTransport({ brokers: brokers(), clientId: 'sluice-examples-test', logger: silentLogger }),
      namespace: `${uniqueName('ex')}.`,
    }),
  ],
];

const keys = `k1:${randomBytes(32).toString('base64')}`;

/**
 * The transport with deleting records turned off: `windowFromInput` reads the
 * repartition topic after the run, which the window stage would have purged
 * of what it committed (repartition-purge.test.ts checks that purge).
 */
function unpurged(transport: Transport): Transport {
  return new Proxy(transport, {
    get: (target, property, receiver) => {
      if (property === 'deleteRecordsBefore') return async () => undefined;
      const value: unknown = Reflect.get(target, property, receiver);
      // Bound to the transport itself: its methods read its private fields.
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * What the window stage of `node` must have counted, computed here from its
 * input as it was read: per partition of the repartition topic, in offset
 * order, stream time is the largest event time so far, and a record whose
 * tumbling window has closed (end + grace <= stream time) is late. Only the
 * windows its partition's final stream time has closed are emitted; the
 * others stay open in the store (`open` counts their records).
 */
async function windowFromInput(run: ExampleRun, transport: Transport, namespace: string, node: string): Promise<{ counts: Map<string, number>; late: number; open: number }> {
  const spec = run.topology.nodes.find((n) => n.id === node)!.window!;
  if (spec.window.kind !== 'tumbling') throw new Error(`${node}: only tumbling windows are simulated here`);
  const { sizeMs, graceMs } = spec.window;
  const input = await readTopicToMarkers(transport, `${namespace}${run.topology.name}.${node}.repartition`);
  const streamTime = new Map<number, number>();
  const counts = new Map<string, number>();
  const partitionOf = new Map<string, number>();
  let late = 0;
  for (const r of input) {
    const value = JSON.parse(r.value!.toString()) as Record<string, unknown>;
    const start = Math.floor(r.timestamp / sizeMs) * sizeMs;
    const now = streamTime.get(r.partition) ?? Number.NEGATIVE_INFINITY;
    if (start + sizeMs + graceMs <= now) {
      late++;
    } else {
      const id = `${String(value[spec.key!])}@${start}`;
      counts.set(id, (counts.get(id) ?? 0) + 1);
      partitionOf.set(id, r.partition);
    }
    streamTime.set(r.partition, Math.max(now, r.timestamp));
  }
  let open = 0;
  for (const [id, n] of counts) {
    const start = Number(id.slice(id.lastIndexOf('@') + 1));
    if (start + sizeMs + graceMs > streamTime.get(partitionOf.get(id)!)!) {
      counts.delete(id);
      open += n;
    }
  }
  return { counts, late, open };
}

/**
 * Embedded runs are deterministic: the counts are exactly those of the input
 * file, none late. On Kafka the re-keying stage reads its partitions at its
 * own pace, so a record can reach the window after its window closed and is
 * dead-lettered as late, as in Kafka Streams without task idling. What the
 * window did must then equal what the order it read its input in implies:
 * the same counts, the same number late; and counted plus late, window by
 * window, must be the input file's counts.
 */
async function expectWindowCounts(run: ExampleRun, transport: Transport, namespace: string, node: string, got: Map<string, number>, expected: Map<string, number>): Promise<void> {
  const late = run.report.stages.find((s) => s.node === `${node}.window`)!.deadLettered;
  const simulated = await windowFromInput(run, transport, namespace, node);
  expect(got).toEqual(simulated.counts);
  expect(late).toBe(simulated.late);
  expect(got.size).toBeGreaterThan(0);
  if (transport.kind === 'embedded') {
    for (const [id, n] of got) expect(n, id).toBe(expected.get(id));
    expect(late).toBe(0);
    return;
  }
  const counted = [...got.values()].reduce((a, b) => a + b, 0);
  expect(counted + late + simulated.open).toBe([...expected.values()].reduce((a, b) => a + b, 0));
  for (const [id, n] of got) expect(n, id).toBeLessThanOrEqual(expected.get(id) ?? 0);
}

interface Customer { id: string; updated: number; [field: string]: unknown }
interface Order { order_id: string; customer_id: string; ts: number; [field: string]: unknown }
interface Payment { order_id: string; ts: number; [field: string]: unknown }

/**
 * The orders example's paid orders, computed here from its data files as the
 * two joins define them over records in time order: each order with its
 * customer's row as of the order's time (the latest update at or before it;
 * null when none), then once per payment of it at most `within` away, either
 * way; an order with no payment comes out with `payment: null` only once its
 * window and grace have closed, by the latest event time of its `pay` task
 * (partition of its order id), its input's last.
 */
function paidOrders(run: ExampleRun): string[] {
  const customers = lines(exampleInput('orders', 'data/customers.ndjson')) as Customer[];
  const orders = lines(exampleInput('orders', 'data/orders.ndjson')) as Order[];
  const payments = lines(exampleInput('orders', 'data/payments.ndjson')) as Payment[];
  const pay = run.topology.nodes.find((n) => n.id === 'pay')!.join!;
  const tasks = run.topology.topics['orders.paid']!.partitions;
  const taskOf = (orderId: string) => partitionForKey(orderId, tasks);
  const streamTime = new Map<number, number>();
  for (const r of [...orders, ...payments]) streamTime.set(taskOf(r.order_id), Math.max(streamTime.get(taskOf(r.order_id)) ?? -Infinity, r.ts));
  const out: string[] = [];
  for (const order of orders) {
    const rows = customers.filter((c) => c.id === order.customer_id && c.updated <= order.ts).sort((a, b) => a.updated - b.updated);
    const { ts, ...rest } = order;
    const enriched = { ...rest, customer: rows.at(-1) ?? null };
    const matches = payments.filter((p) => p.order_id === order.order_id && Math.abs(p.ts - ts) <= pay.withinMs);
    for (const payment of matches) out.push(JSON.stringify({ ...enriched, payment }));
    if (matches.length === 0 && ts + pay.withinMs + pay.graceMs < streamTime.get(taskOf(order.order_id))!) out.push(JSON.stringify({ ...enriched, payment: null }));
  }
  return out.sort();
}

describe.each(transports)('example topologies on the %s transport', (_name, make) => {
  it('seed-workflow: upper-cases every name and adds its length', async () => {
    const { transport, namespace } = make();
    const run = await runExample('seed-workflow', transport, { ...(namespace ? { namespace } : {}) });
    await transport.close();
    const input = lines(exampleInput('seed-workflow', 'data/people.ndjson')) as Array<{ id: number; name: string; ts: number }>;
    const expected = input.map((p) => ({ id: p.id, name: p.name.toUpperCase(), length: p.name.length }));
    const output = (lines(run.read('out/analyzed.ndjson')) as Array<{ id: number; name: string; length: number }>).map(
      ({ id, name, length }) => ({ id, name, length }),
    );
    expect(output.sort((a, b) => a.id - b.id)).toEqual(expected.sort((a, b) => a.id - b.id));
    expect(run.report.failed).toEqual([]);
    expect(run.report.stages.map((s) => [s.node, s.read, s.written, s.deadLettered])).toEqual([
      ['input', 20, 20, 0],
      ['process', 20, 20, 0],
      ['analyze', 20, 20, 0],
      ['output', 20, 20, 0],
    ]);
  });

  it('word-count: counts every word of the text', async () => {
    const { transport, namespace } = make();
    const run = await runExample('word-count', transport, { ...(namespace ? { namespace } : {}) });
    await transport.close();
    const expected = new Map<string, number>();
    for (const word of exampleInput('word-count', 'data/text.txt').toLowerCase().match(/[\p{L}']+/gu) ?? []) {
      expected.set(word, (expected.get(word) ?? 0) + 1);
    }
    const got = new Map((lines(run.stdout) as Array<{ key: string; value: number }>).map((r) => [r.key, r.value]));
    expect(got).toEqual(expected);
  });

  it('seed-dataflow: the sealed file decodes (base64 → aes-gcm → lz4 → avro) back to the input', async () => {
    const { transport, namespace } = make();
    const run = await runExample('seed-dataflow', transport, { env: { SLUICE_KEYS: keys }, ...(namespace ? { namespace } : {}) });
    await transport.close();
    const input = lines(exampleInput('seed-dataflow', 'data/readings.ndjson')) as Array<{ sensor: string; celsius: number; ts: number }>;
    const chain = createCodecChain('avro|lz4|aes-gcm|base64', {
      schema: await loadSchemaFile(`${run.dir}/schemas/reading.avsc`),
      keys: KeyRing.parse(keys, 'test'),
    });
    const sealed = run.read('out/readings.sealed.txt');
    expect(sealed).not.toContain('greenhouse'); // encrypted, not merely encoded
    const decoded = sealed
      .split('\n')
      .filter(Boolean)
      .flatMap((line) => chain.decodeBatch(Buffer.from(line, 'latin1'))) as Array<{ sensor: string; celsius: number }>;
    const key = (r: { sensor: string; celsius: number }) => `${r.sensor}:${r.celsius}`;
    expect(decoded.map(key).sort()).toEqual(input.map(key).sort());
    const hot = lines(run.read('out/hot-readings.ndjson')) as Array<{ celsius: number }>;
    expect(hot.length).toBe(input.filter((r) => r.celsius >= 30).length);
  });

  it('clickstream: views per page per minute (through the repartition topic), bad URLs dead-lettered, purchases branched off', async () => {
    const { transport, namespace } = make();
    const run = await runExample('clickstream', unpurged(transport), { ...(namespace ? { namespace } : {}) });
    const clicks = lines(exampleInput('clickstream', 'data/clicks.ndjson')) as Array<{ user: string; url: string; action: string; ts: number }>;
    const valid = clicks.filter((c) => c.user.startsWith('u-') && URL.canParse(c.url));
    const expected = new Map<string, number>();
    for (const c of valid) {
      const id = `${new URL(c.url).pathname}@${Math.floor(c.ts / 60_000) * 60_000}`;
      expected.set(id, (expected.get(id) ?? 0) + 1);
    }
    const got = new Map((lines(run.read('out/page-views.ndjson')) as Array<{ key: string; start: number; value: number }>).map((r) => [`${r.key}@${r.start}`, r.value]));
    await expectWindowCounts(run, transport, namespace ?? '', 'views-per-page', got, expected);
    await transport.close();
    const stage = (id: string) => run.report.stages.find((s) => s.node === id)!;
    expect(stage('validate').deadLettered).toBe(clicks.filter((c) => c.user.startsWith('u-')).length - valid.length);
    expect(stage('route').written).toBe(valid.length);
  });

  it('user-events: users per normalised city per minute', async () => {
    const { transport, namespace } = make();
    const run = await runExample('user-events', unpurged(transport), { ...(namespace ? { namespace } : {}) });
    const users = lines(exampleInput('user-events', 'data/users.ndjson')) as Array<{ age: number; city: string; ts: number }>;
    const expected = new Map<string, number>();
    for (const u of users.filter((x) => x.age >= 0)) {
      const city = u.city.trim().toLowerCase();
      const id = `${city.charAt(0).toUpperCase() + city.slice(1)}@${Math.floor(u.ts / 60_000) * 60_000}`;
      expected.set(id, (expected.get(id) ?? 0) + 1);
    }
    const got = new Map((lines(run.read('out/city-counts.ndjson')) as Array<{ key: string; start: number; value: number }>).map((r) => [`${r.key}@${r.start}`, r.value]));
    await expectWindowCounts(run, transport, namespace ?? '', 'count-by-city', got, expected);
    await transport.close();
  });

  it('orders: each order with its customer as of its time, then with each payment within 5 minutes (both joins in time order)', async () => {
    const { transport, namespace } = make();
    const run = await runExample('orders', transport, { ...(namespace ? { namespace } : {}) });
    await transport.close();
    const expected = paidOrders(run);
    const got = (lines(run.read('out/orders-paid.ndjson')) as object[]).map((r) => JSON.stringify(r)).sort();
    expect(got).toEqual(expected);
    expect(expected.filter((r) => r.includes('"payment":null')).length).toBeGreaterThan(0);
    expect(expected.filter((r) => r.includes('"tier":"platinum"')).length).toBeGreaterThan(0);
    expect(run.report.stages.map((s) => [s.node, s.deadLettered])).toEqual(run.topology.nodes.map((n) => [n.id, 0]));
  });
});
