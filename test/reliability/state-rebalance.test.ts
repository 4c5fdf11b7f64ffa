/**
 * A rebalance moves tasks with their state, on the real broker: a running
 * count per key (global window) over 4 partitions, instance A alone, then B
 * joining (the partitions it takes restore from their changelogs in B's own
 * state directory), then A stopped (SIGTERM: its tasks commit, close and
 * move to B). Records keep arriving while the group rebalances. The latest
 * count of every key in the output must equal a count computed here of all
 * that was fed; at-least-once may repeat an update, never get one wrong.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/index.ts';
import { createTransport, partitionForKey } from '../../src/transport/index.ts';
import { brokers, uniqueName, withAdmin } from '../integration/harness/kafka.ts';
import { feedAtRate } from './harness/feed.ts';
import { ALARMS, Instance, killAll } from './harness/instances.ts';
import type { Guarantee } from './harness/pipeline.ts';
import { topologyFile } from './harness/topology-file.ts';

const PARTITIONS = 4;
const KEYS = 200;
/** Records fed while A is alone, and again after B has its partitions, and while A stops. */
const PHASE = 10_000;
/** Fed at this rate (4 s a phase), so records arrive while the group rebalances. */
const RATE = 2_500;

const transport = createTransport({ brokers: brokers(), clientId: 'sluice-state-rebalance', logger: silentLogger });
afterEach(killAll);
afterAll(() => transport.close());

function rebalTopology(guarantee: Guarantee): Promise<string> {
  return topologyFile([
    'name: rebal',
    'topics:',
    `  words: { partitions: ${PARTITIONS} }`,
    `  counts: { partitions: ${PARTITIONS}, cleanup: compact }`,
    'nodes:',
    '  count:',
    '    from: words',
    `    guarantee: ${guarantee}`,
    '    window: { global: true, aggregate: count }',
    '    to: counts',
  ]);
}

/** The key of record `i`: skewed (low keys far more often), the same on every run. */
function keyOf(i: number): string {
  const x = Math.imul(i + 1, 2654435761) >>> 0;
  return `w${Math.floor(((x / 2 ** 32) ** 2) * KEYS)}`;
}

function expectedCounts(total: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < total; i++) counts.set(keyOf(i), (counts.get(keyOf(i)) ?? 0) + 1);
  return counts;
}

function feed(topic: string, from: number, to: number): Promise<void> {
  return feedAtRate(transport, from, to, RATE, (j) => ({ topic, key: keyOf(j), value: JSON.stringify({ n: j }) }));
}

/** Until the group has committed every partition of `topic` to its end: every record read, counted and its update acknowledged. */
async function untilCaughtUp(group: string, topic: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let behind = '';
  while (Date.now() < deadline) {
    const ends = await transport.endOffsets(topic);
    // Pending transactional offsets make the broker answer UNSTABLE_OFFSET_COMMIT for a moment: asked again.
    const committed = await withAdmin((admin) => admin.fetchOffsets({ groupId: group, topics: [topic] })).catch(() => undefined);
    const done = new Map(committed?.[0]?.partitions.map((p) => [p.partition, p.offset]) ?? []);
    const lagging = ends.filter((e) => done.get(e.partition) !== e.offset);
    if (committed !== undefined && lagging.length === 0) return;
    behind = lagging.map((e) => `${e.partition}: ${done.get(e.partition)} of ${e.offset}`).join(', ');
    await sleep(250);
  }
  throw new Error(`${group} not caught up on ${topic} in ${timeoutMs} ms (${behind})`);
}

/** The last value of every key of a (compacted) topic: what a table of it holds. */
async function latest(topic: string): Promise<Map<string, number>> {
  const table = new Map<string, number>();
  const reads = Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, from: null }));
  await transport.readPartitions(topic, reads, async (records) => {
    for (const r of records) table.set(r.key!.toString(), (JSON.parse(r.value!.toString()) as { value: number }).value);
  });
  return table;
}

interface LogLine {
  msg: string;
  assigned?: Array<{ partitions: number[] }>;
  revoked?: Array<{ partitions: number[] }>;
  restored?: number;
}

function logLines(instance: Instance, msg: string): LogLine[] {
  return instance.log
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine)
    .filter((l) => l.msg === msg);
}

/** The partitions an instance holds now, from its log of assignments and revokes. */
function owned(instance: Instance): number[] {
  const held = new Set<number>();
  for (const line of instance.log.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine)) {
    if (line.msg === 'partitions assigned') for (const p of line.assigned!.flatMap((a) => a.partitions)) held.add(p);
    if (line.msg === 'partitions revoked') for (const p of line.revoked!.flatMap((a) => a.partitions)) held.delete(p);
  }
  return [...held].sort();
}

async function until(what: string, ready: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`${what} not within ${timeoutMs} ms`);
    await sleep(100);
  }
}

describe.each<Guarantee>(['at-least-once', 'exactly-once'])('a rebalance of a stateful stage, %s', (guarantee) => {
  it('moves partitions with their state: an instance added, then one removed, and every count stays exact', async () => {
    const ns = `${uniqueName(guarantee === 'exactly-once' ? 'rbe' : 'rba')}.`;
    const file = await rebalTopology(guarantee);
    const stateRoot = await mkdtemp(join(tmpdir(), 'sluice-rebalance-state-'));
    const group = `${ns}rebal.count`;
    const input = `${ns}words`;
    await transport.createTopics([
      { name: input, partitions: PARTITIONS },
      { name: `${ns}counts`, partitions: PARTITIONS, cleanupPolicy: 'compact' },
    ]);
    expect(new Set(Array.from({ length: KEYS }, (_, k) => partitionForKey(`w${k}`, PARTITIONS))).size).toBe(PARTITIONS);
    const start = (name: string) => Instance.start({ file, brokers: brokers(), namespace: ns, node: 'count', commitIntervalMs: 200, stateDir: join(stateRoot, name) });

    const a = start('a');
    await feed(input, 0, PHASE);
    await untilCaughtUp(group, input);
    expect(owned(a)).toEqual([0, 1, 2, 3]);

    // B joins while records arrive (fed until it has its partitions, and on): the partitions it takes have changelogs to restore from.
    const b = start('b');
    let fed = PHASE;
    const joinBy = Date.now() + 30_000;
    while (owned(b).length === 0) {
      if (Date.now() > joinBy) throw new Error(`B owned no partition in 30 s:\n${b.log.slice(-3_000)}`);
      await feed(input, fed, fed + RATE / 4);
      fed += RATE / 4;
    }
    await feed(input, fed, fed + PHASE);
    fed += PHASE;
    await untilCaughtUp(group, input);
    const split = { a: owned(a), b: owned(b) };
    expect(a.running).toBe(true);
    expect(split.a.length, `A ${split.a}, B ${split.b}`).toBeGreaterThan(0);
    expect(split.b.length, `A ${split.a}, B ${split.b}`).toBeGreaterThan(0);
    expect([...split.a, ...split.b].sort()).toEqual([0, 1, 2, 3]);
    const restoredByB = logLines(b, 'store restored from its changelog').reduce((n, l) => n + l.restored!, 0);
    expect(restoredByB).toBeGreaterThan(0);

    // A leaves while records arrive: its tasks commit and close, and B takes them over from the changelogs.
    const [stopped] = await Promise.all([a.stop(), feed(input, fed, fed + PHASE)]);
    fed += PHASE;
    expect(stopped.exit, a.log.slice(-3_000)).toEqual({ code: 0, signal: null });
    await until('B owning every partition', () => owned(b).length === PARTITIONS);
    await untilCaughtUp(group, input);
    const restoredAfter = logLines(b, 'store restored from its changelog').reduce((n, l) => n + l.restored!, 0);
    expect(restoredAfter).toBeGreaterThan(restoredByB);

    const counts = await latest(`${ns}counts`);
    const expected = expectedCounts(fed);
    const wrong = [...expected].filter(([k, n]) => counts.get(k) !== n).map(([k, n]) => `${k}: expected ${n}, got ${counts.get(k)}`);
    expect(wrong.slice(0, 5), `${wrong.length} of ${expected.size} keys wrong`).toEqual([]);
    expect(counts.size).toBe(expected.size);
    await b.stop();
    for (const instance of [a, b]) expect(instance.log).not.toMatch(ALARMS);
  }, 90_000);
});
