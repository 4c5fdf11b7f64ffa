/**
 * sluice's stream–table join against Kafka Streams' `KStream#join(KTable)`
 * (issue 17), as bench/scenarios/kafka-streams.ts runs its jobs: the same
 * broker and input topics, alternating rounds, each a whole program from
 * start to exit (`sluice run --until-caught-up`, and the peer
 * bench/kstreams/KStreamsPeer.java).
 *
 *   customers  a compacted topic of JSON rows keyed by customer id, filled first
 *   orders     JSON orders keyed by customer_id, same partition count, later timestamps;
 *              some name a customer the table lacks
 *   output     each order with its customer under `customer`:
 *              join-inner drops an order without one, join-left keeps it with `customer: null`
 *
 * Both sides parse both JSON values and write the merged one (the peer with
 * Jackson, which Kafka Streams already depends on), and both read the table
 * from its own topic (the peer with `topology.optimization:
 * reuse.ktable.source.topics`, as a sluice table has no changelog of its own).
 * The table is whole before the first order is joined on both sides: sluice
 * restores a task's table to the topic's end before its stream records;
 * Kafka Streams picks a task's records earliest timestamp first, and every
 * customer is older than every order. Every round's output is read back
 * (read_committed) and compared, order by order, with the join computed here
 * from the generated rows before its figures count.
 *
 *     npx tsx bench/scenarios/kafka-streams-join.ts [--quick] [--rounds 5] [--orders 200000] [--customers 10000]
 *       [--jobs join-inner,join-left] [--guarantees at-least-once,exactly-once]
 */
import { loadavg } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { scenarioArgs } from '../harness/args.ts';
import { brokerVersion, fillTopic, freshName } from '../harness/kafka.ts';
import { preparePeer, runPeer, sideBySide, sideBySideParams, type Guarantee, type Side } from '../harness/kstreams.ts';
import { machine } from '../harness/machine.ts';
import { finish } from '../harness/report.ts';
import { rng } from '../harness/records.ts';
import type { TimedRun } from '../harness/timed.ts';
import { kafkaTransport, runSluiceCli, writeFolder } from '../harness/topology.ts';

const JOBS = ['join-inner', 'join-left'] as const;
type Job = (typeof JOBS)[number];
const GUARANTEES = ['at-least-once', 'exactly-once'] as const;
const args = scenarioArgs(
  {
    orders: { full: 200_000, quick: 5_000 },
    customers: { full: 10_000, quick: 1_000 },
    partitions: { full: 3, quick: 3 },
    timeout: { full: 600, quick: 180 },
  },
  undefined,
  { jobs: JOBS, guarantees: GUARANTEES },
);
const N = args.orders;
const C = args.customers;
const P = args.partitions;
/** One order in this many names a customer id past the table's (a miss: dropped by join-inner, kept by join-left). */
const MISS_EVERY = 20;
/** sluice run's --commit-interval default; the peer commits as often. */
const COMMIT_MS = 1_000;
const machineInfo = machine(brokerVersion());
const peer = preparePeer();
const transport = kafkaTransport('bench-kafka-streams-join');

// ---- the input: deterministic rows, so that what the join must give is computed here.

type Customer = { id: string; name: string; email: string; city: string; tier: string; since: number };
type Order = { id: number; customer_id: string; amount: number; items: number; sku: string; ts: number };

const cities = ['Lagos', 'Zürich', 'São Paulo', 'Osaka', 'Lyon', 'Pune', 'Austin', 'Gdańsk'];
const tiers = ['bronze', 'silver', 'gold'];
const skus = ['TR3-GTX-42', 'TENT-UL-2P', 'MERINO-M', 'HL-400-USBC', 'STOVE-TI'];
const customerId = (i: number): string => `c${String(i).padStart(7, '0')}`;

const now = Math.floor(Date.now() / 1_000) * 1_000;
const customers: Customer[] = [];
{
  const next = rng(17_000 + C);
  for (let i = 0; i < C; i++) {
    const name = `customer ${i}`;
    customers.push({ id: customerId(i), name, email: `c${i}@shop.example.org`, city: cities[Math.floor(next() * cities.length)]!, tier: tiers[Math.floor(next() * tiers.length)]!, since: 1_600_000_000_000 + Math.floor(next() * 1e11) });
  }
}
const orders: Order[] = [];
{
  const next = rng(17_001 + N);
  // Every customer is older than every order: an hour before, at most C ms apart; the orders span the last 30 minutes.
  const first = now - 30 * 60_000;
  for (let i = 0; i < N; i++) {
    const who = i % MISS_EVERY === MISS_EVERY - 1 ? C + Math.floor(next() * C) : Math.floor(next() * C);
    orders.push({ id: i, customer_id: customerId(who), amount: Math.round(next() * 50_000) / 100, items: 1 + Math.floor(next() * 5), sku: skus[Math.floor(next() * skus.length)]!, ts: first + Math.floor((i * 30 * 60_000) / N) });
  }
}
const customersTopic = freshName('ksj.customers');
const ordersTopic = freshName('ksj.orders');
console.error(`filling ${customersTopic} (compacted, ${P} partitions) with ${C.toLocaleString('en')} customers, then ${ordersTopic} with ${N.toLocaleString('en')} orders`);
const tableStart = now - 60 * 60_000 - C;
await fillTopic(customersTopic, P, C, (i) => ({ key: customers[i]!.id, value: JSON.stringify(customers[i]), timestamp: String(tableStart + i) }), { 'cleanup.policy': 'compact' });
await fillTopic(ordersTopic, P, N, (i) => ({ key: orders[i]!.customer_id, value: JSON.stringify(orders[i]), timestamp: String(orders[i]!.ts) }));

/** What the output must hold, by order id: the join computed from the rows, with no topic or store in between. */
function expected(job: Job): Map<number, unknown> {
  const byId = new Map(customers.map((c) => [c.id, c]));
  const out = new Map<number, unknown>();
  for (const o of orders) {
    const customer = byId.get(o.customer_id);
    if (customer !== undefined || job === 'join-left') out.set(o.id, { ...o, customer: customer ?? null });
  }
  return out;
}
const wanted = new Map<Job, Map<number, unknown>>();

// ---- sluice's side.

function sluiceTopology(job: Job, guarantee: Guarantee, output: string): string {
  return writeFolder({
    'topology.yaml': `name: ${freshName(`ksj-${job}`).replace(/\./g, '-')}
defaults: { guarantee: ${guarantee} }
topics:
  ${customersTopic}: { partitions: ${P}, cleanup: compact }
  ${ordersTopic}: { partitions: ${P} }
  ${output}: { partitions: ${P} }
nodes:
  enrich:
    from: ${ordersTopic}
    process:
      - join: { table: ${customersTopic}, on: key, as: customer, kind: ${job === 'join-inner' ? 'inner' : 'left'} }
    to: ${output}
`,
  });
}

// ---- the check of a round's output.

async function verify(side: Side, job: Job, guarantee: Guarantee, output: string): Promise<void> {
  const want = wanted.get(job) ?? expected(job);
  wanted.set(job, want);
  const seen = new Set<number>();
  let wrong: string | undefined;
  const partitions = await transport.endOffsets(output);
  await transport.readPartitions(output, partitions.map((p) => ({ partition: p.partition, from: null })), async (records) => {
    for (const r of records) {
      if (wrong !== undefined) return;
      const got = JSON.parse(r.value!.toString('utf8')) as { id: number; customer_id: string };
      if (seen.has(got.id)) wrong = `order ${got.id} written twice`;
      else if (!want.has(got.id)) wrong = `order ${got.id} (customer ${got.customer_id}) written, where the join drops it`;
      else if (!isDeepStrictEqual(got, want.get(got.id))) wrong = `order ${got.id}: ${JSON.stringify(got)} where ${JSON.stringify(want.get(got.id))} was expected`;
      else if (r.key?.toString('utf8') !== got.customer_id) wrong = `order ${got.id} keyed ${r.key?.toString('utf8')}, not by its customer_id`;
      seen.add(got.id);
    }
  });
  if (wrong === undefined && seen.size !== want.size) wrong = `${seen.size} orders where ${want.size} were expected`;
  if (wrong !== undefined) throw new Error(`${side} ${job} ${guarantee}: wrong output in ${output}: ${wrong}`);
}

// ---- the rounds.

function round(side: Side, job: Job, guarantee: Guarantee, output: string): Promise<TimedRun> {
  const timeoutMs = args.timeout * 1_000;
  return side === 'sluice'
    ? runSluiceCli(sluiceTopology(job, guarantee, output), { commitIntervalMs: COMMIT_MS, timeoutMs })
    : runPeer(peer, { appId: freshName(`ksj-${job}`).replace(/\./g, '-'), input: ordersTopic, table: customersTopic, output, job, guarantee, commitIntervalMs: COMMIT_MS, timeoutMs });
}

const loads: number[] = [machineInfo.load];
const { rows, rounds } = await sideBySide<Job>({
  jobs: args.jobs,
  guarantees: args.guarantees,
  rounds: args.rounds,
  records: N,
  recordsName: 'order records',
  label: { 'join-inner': 'stream–table inner join', 'join-left': 'stream–table left join' },
  output: { prefix: 'ksj', partitions: P },
  run: round,
  verify,
  after: () => loads.push(Number((loadavg()[0] ?? 0).toFixed(2))),
});
await transport.close();

finish({
  scenario: 'kafka-streams-join',
  title: 'sluice vs Kafka Streams: orders joined with a customers table (KStream#join(KTable)) on the same broker and input',
  machine: machineInfo,
  quick: args.quick,
  params: {
    orders: N,
    customers: C,
    missingCustomerEvery: MISS_EVERY,
    partitions: P,
    ...sideBySideParams(peer, { ...args, commitIntervalMs: COMMIT_MS }),
    bytesPerOrder: Math.round(orders.reduce((n, o) => n + Buffer.byteLength(JSON.stringify(o)), 0) / N),
    bytesPerCustomer: Math.round(customers.reduce((n, c) => n + Buffer.byteLength(JSON.stringify(c)), 0) / C),
    measure: 'wall seconds from starting the program until it exited with all output committed (JVM and Node start-up and the table load included), as order records/s; CPU seconds of the process and its threads per million order records; every round output verified',
  },
  rows,
  rounds,
  notes: [`one-minute load average at the start and after each job/guarantee: ${loads.join(', ')} (the machine's 2 cores are shared with other work)`],
});
