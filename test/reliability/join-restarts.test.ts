/**
 * Both joins across a SIGTERM and a SIGKILL, on the real broker. One topology holds a table join
 * (`enrich`) and a stream join (`pay`), each on inputs of its own, so one `sluice run` process
 * (LMDB state dir: local copies and their checkpoints survive too) stops both at once: every run
 * costs a process start and a group join, and after a SIGKILL the dead member's session timeout.
 *
 * The run is fed a portion of the input and stopped in the middle of it, gracefully; fed the next
 * portion, started again and SIGKILLed in the middle of that; fed more and run to the end of its
 * input. Both outputs are then compared with an independent computation. (Left-join results of
 * closed windows after a restored store: test/integration/runtime/stream-join.test.ts.) That a
 * stop landed mid-way is checked: each output topic holds fewer records than the input so far
 * makes when the signal goes. (A graceful stop drains what was read, so each signal gets a
 * portion of its own.)
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/index.ts';
import { createTransport } from '../../src/transport/index.ts';
import { brokers, uniqueName } from '../integration/harness/kafka.ts';
import { readTopicToMarkers } from '../integration/harness/read-topic.ts';
import { killedAfterEach, spawnSluice, type SluiceProcess } from './harness/sluice-process.ts';

const PARTITIONS = 3;
const MIN = 60_000;
const ORDERS = 24_000;
const PORTION = 4_000;
const WITHIN = 5 * MIN;

const transport = createTransport({ brokers: brokers(), clientId: 'join-restarts-test', logger: silentLogger });
afterAll(() => transport.close());
const children = killedAfterEach();

const topology = [
  'name: jr',
  'topics:',
  `  customers: { partitions: ${PARTITIONS}, cleanup: compact }`,
  ...['orders', 'orders.enriched', 'sj-orders', 'payments', 'paid'].map((t) => `  ${t}: { partitions: ${PARTITIONS} }`),
  'nodes:',
  '  enrich:',
  '    from: orders',
  '    process:',
  '      - join: { table: customers, on: key, as: customer, kind: left }',
  '    to: orders.enriched',
  '  pay:',
  '    from: sj-orders',
  '    join: { stream: payments, on: id, within: 5m, grace: 2h, kind: left, as: payment }',
  '    to: paid',
  '',
].join('\n');

function sluiceRun(file: string, namespace: string, stateDir: string, extra: string[] = []): SluiceProcess {
  return spawnSluice(['run', file, '--brokers', brokers().join(','), '--namespace', namespace, '--state-dir', stateDir, '--commit-interval', '200', '--session-timeout', '6000', ...extra], children);
}

async function untilCaughtUp(file: string, namespace: string, stateDir: string): Promise<void> {
  const run = sluiceRun(file, namespace, stateDir, ['--until-caught-up']);
  const exit = await run.exited;
  expect(exit, run.log()).toEqual({ code: 0, signal: null });
}

async function size(topic: string): Promise<number> {
  const ends = await transport.endOffsets(topic).catch(() => []);
  return ends.reduce((n, e) => n + Number(e.offset ?? 0), 0);
}

interface Output {
  readonly topic: string;
  /** How many records it held before the run. */
  readonly from: number;
  /** How many the input so far makes. */
  readonly total: number;
}

/**
 * Starts a run and stops it with `signal` once every output has grown, or one is half-way (the
 * stages do not start writing at the same moment), checking each is still short of its total
 * then. Returns their sizes after.
 */
async function stopMidway(file: string, ns: string, stateDir: string, outputs: readonly Output[], signal: 'SIGTERM' | 'SIGKILL'): Promise<number[]> {
  const run = sluiceRun(file, ns, stateDir);
  let now = outputs.map((o) => o.from);
  const grown = () => outputs.every((o, j) => now[j]! > o.from);
  const halfway = () => outputs.some((o, j) => now[j]! - o.from > (o.total - o.from) / 2);
  for (let i = 0; i < 800 && !grown() && !halfway(); i++) {
    await sleep(25);
    now = await Promise.all(outputs.map((o) => size(o.topic)));
  }
  run.kill(signal);
  const exit = await run.exited;
  expect(exit, run.log()).toEqual(signal === 'SIGTERM' ? { code: 0, signal: null } : { code: null, signal: 'SIGKILL' });
  expect(now.some((n, j) => n > outputs[j]!.from), `${signal}: the run wrote before it`).toBe(true);
  // Written before the signal: fewer than the input makes, so the stop was mid-way.
  outputs.forEach((o, j) => expect(now[j], `${signal} landed mid-way through ${o.topic}`).toBeLessThan(o.total));
  console.log(`[join-restarts] ${signal} at ${outputs.map((o, j) => `${o.topic} ${now[j]! - o.from}/${o.total - o.from}`).join(', ')}`);
  return Promise.all(outputs.map((o) => size(o.topic)));
}

describe('both joins across SIGTERM and SIGKILL (LMDB state)', () => {
  it('equal an independent computation: every order with its customer’s row, every pair of a batch join', async () => {
    const ns = `${uniqueName('jr')}.`;
    const dir = await mkdtemp(join(tmpdir(), 'sluice-join-restarts-'));
    const file = join(dir, 'topology.yaml');
    const state = join(dir, 'state');
    await writeFile(file, topology);
    await transport.createTopics([
      { name: `${ns}customers`, partitions: PARTITIONS, cleanupPolicy: 'compact' },
      ...['orders', 'sj-orders', 'payments'].map((t) => ({ name: `${ns}${t}`, partitions: PARTITIONS })),
    ]);
    const producer = await transport.producer();
    // Hours back: the broker refuses timestamps more than an hour ahead of its clock, and the closing orders are 4 h on.
    const t0 = Math.floor(Date.now() / MIN) * MIN - 6 * 60 * MIN;
    const send = (topic: string, records: ReadonlyArray<{ key: string; value: unknown; ts: number }>) =>
      producer.send(records.map((r) => ({ topic: `${ns}${topic}`, key: r.key, value: r.value === null ? null : JSON.stringify(r.value), timestamp: r.ts })));

    // The table join: what each order must carry is its customer's row when the order is sent (the
    // rows change only after every earlier order is processed: see docs/topology.md, Joins).
    const rows = new Map<string, { version: number }>();
    const enriched = new Map<number, { version: number } | null>();
    let sentOrders = 0;
    const setRows = (ids: readonly string[], version: number | null) => {
      for (const id of ids) (version === null ? rows.delete(id) : rows.set(id, { version }));
      return send('customers', ids.map((id) => ({ key: id, value: version === null ? null : { version }, ts: t0 })));
    };
    const sendOrders = (count: number, customers: number) => {
      const batch = Array.from({ length: count }, (_, i) => ({ id: sentOrders + i, customer: `c-${(sentOrders + i) % customers}` }));
      sentOrders += count;
      for (const o of batch) enriched.set(o.id, rows.get(o.customer) ?? null);
      return send('orders', batch.map((o) => ({ key: o.customer, value: { id: o.id }, ts: t0 + MIN + o.id })));
    };

    // The stream join: portions of orders, an id once per portion (20 min apart, so an id's orders
    // never share a payment); two payments for two orders in three, one too late for every order.
    // The grace (2h) keeps every window open throughout, so only pairs come out, and no record is
    // late even if the consumer fetches one portion ahead of another (the ordering caveat).
    const paid = new Set<string>();
    let pairs = 0;
    const portion = async (k: number): Promise<void> => {
      const orders = Array.from({ length: PORTION }, (_, i) => ({ id: `o-${i}`, n: k * PORTION + i, ts: t0 + (k * PORTION + i) * 300 }));
      const payments = orders.flatMap((o) => (o.n % 3 === 0 ? [] : [{ id: o.id, n: o.n, ts: o.ts + (o.n % 3) * 2 * MIN }, { id: o.id, n: -o.n, ts: o.ts + 7 * MIN }]));
      for (const o of orders) {
        const matches = payments.filter((p) => p.id === o.id && Math.abs(p.ts - o.ts) <= WITHIN);
        pairs += matches.length;
        for (const p of matches) paid.add(JSON.stringify({ ...o, payment: p }));
      }
      await send('sj-orders', orders.map((o) => ({ key: o.id, value: o, ts: o.ts })));
      await send('payments', payments.map((p) => ({ key: p.id, value: p, ts: p.ts })));
    };

    // Customers c-0..c-39, one deleted; orders of c-0..c-44, so some find none (a left join: null).
    await setRows(Array.from({ length: 40 }, (_, i) => `c-${i}`), 0);
    await setRows(['c-7'], null);
    await sendOrders(ORDERS, 45);
    await portion(0);
    const outputs = (from: readonly number[]): Output[] => [
      { topic: `${ns}orders.enriched`, from: from[0]!, total: sentOrders },
      { topic: `${ns}paid`, from: from[1]!, total: pairs },
    ];
    const afterTerm = await stopMidway(file, ns, state, outputs([0, 0]), 'SIGTERM');
    await sendOrders(ORDERS, 45);
    await portion(1);
    await stopMidway(file, ns, state, outputs(afterTerm), 'SIGKILL');

    // Fed more: new customers and orders of all; the next portion of the stream join. (Not new rows
    // of earlier customers: the killed run's uncommitted orders, read again, would meet them.)
    await setRows(Array.from({ length: 10 }, (_, i) => `c-${45 + i}`), 1);
    await sendOrders(ORDERS / 4, 55);
    await portion(2);
    await producer.close();
    await untilCaughtUp(file, ns, state);

    const got = (await readTopicToMarkers(transport, `${ns}orders.enriched`)).map((r) => JSON.parse(r.value!.toString()) as { id: number; customer: { version: number } | null });
    const wrong = got.filter((o) => JSON.stringify(o.customer) !== JSON.stringify(enriched.get(o.id)));
    expect(wrong.slice(0, 5).map((o) => [o.id, o.customer, enriched.get(o.id)]), `${wrong.length} of ${got.length} enriched orders wrong (order, got, expected)`).toEqual([]);
    // At-least-once: the killed run's uncommitted work is done again, so copies, but none missing.
    expect(new Set(got.map((o) => o.id)).size).toBe(enriched.size);

    const joined = new Set((await readTopicToMarkers(transport, `${ns}paid`)).map((r) => r.value!.toString()));
    expect([...paid].filter((e) => !joined.has(e)).slice(0, 3), 'missing').toEqual([]);
    expect([...joined].filter((e) => !paid.has(e)).slice(0, 3), 'not in the batch join').toEqual([]);
    expect(joined.size).toBe(paid.size);
  }, 180_000);
});
