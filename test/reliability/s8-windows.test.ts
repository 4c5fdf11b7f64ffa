/**
 * Scenario 8: SIGKILL a stage instance every 5 s during a windowed count on
 * Kafka. Two instances of one tumbling-window count node (10 s windows,
 * keyed records over 3 partitions, event time rising through the feed), one
 * of them killed in rotation and replaced at once, each with its own state
 * directory, so tasks move between instances and restore from changelogs.
 * Every final window must equal a count computed here from what was fed;
 * exactly-once: exactly one result per window; at-least-once: repeats only
 * of identical results.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it, onTestFailed } from 'vitest';
import { silentLogger } from '../../src/core/index.ts';
import { createTransport, partitionForKey } from '../../src/transport/index.ts';
import { brokers, uniqueName } from '../integration/harness/kafka.ts';
import { feedAtRate } from './harness/feed.ts';
import { Instance, killAll, saveLogs } from './harness/instances.ts';
import type { Guarantee } from './harness/pipeline.ts';
import { recordResult, sized } from './harness/results.ts';
import { topologyFile } from './harness/topology-file.ts';

const TOTAL = sized(20_000, 200_000);
const RATE = sized(1_000, 2_000);
const KEYS = 12;
const PARTITIONS = 3;
const WINDOW_MS = 10_000;
/** Event time moves 1 s per 100 records: a window holds 1,000 records, spread over the keys. */
const EVENT_MS_PER_RECORD = 10;
const KILL_EVERY_MS = 5_000;
const BASE = Date.UTC(2026, 0, 1);

const transport = createTransport({ brokers: brokers(), clientId: 'sluice-s8', logger: silentLogger });
afterEach(killAll);
afterAll(() => transport.close());

interface Result {
  key: string;
  start: number;
  value: number;
}

function s8Topology(guarantee: Guarantee): Promise<string> {
  return topologyFile([
    'name: s8',
    'topics:',
    // Forever: the feed's event times are months old, and Kafka deletes a segment whose newest timestamp is past retention.
    `  events: { partitions: ${PARTITIONS}, retention: forever }`,
    `  counts: { partitions: ${PARTITIONS}, retention: forever }`,
    'nodes:',
    '  count:',
    '    from: events',
    `    guarantee: ${guarantee}`,
    '    window: { tumbling: 10s, aggregate: count }',
    '    to: counts',
  ]);
}

function feed(topic: string, from: number, to: number): Promise<void> {
  return feedAtRate(transport, from, to, RATE, (j) => ({ topic, key: `k${j % KEYS}`, value: JSON.stringify({ n: j }), timestamp: BASE + j * EVENT_MS_PER_RECORD }));
}

/** A record per partition far ahead in event time: every window of the feed closes. */
async function closeEveryWindow(topic: string): Promise<void> {
  const producer = await transport.producer();
  const at = BASE + TOTAL * EVENT_MS_PER_RECORD + 10 * WINDOW_MS;
  await producer.send(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition, key: `closer-${partition}`, value: '{}', timestamp: at })));
  await producer.close();
}

/** Computed here: per key and window, the records fed. */
function expectedCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (let j = 0; j < TOTAL; j++) {
    const start = Math.floor((BASE + j * EVENT_MS_PER_RECORD) / WINDOW_MS) * WINDOW_MS;
    const id = `k${j % KEYS}@${start}`;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

async function readResults(topic: string): Promise<Result[]> {
  const out: Result[] = [];
  const reads = Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, from: null }));
  await transport.readPartitions(topic, reads, async (records) => {
    for (const r of records) out.push(JSON.parse(r.value!.toString()) as Result);
  });
  return out;
}

describe.each<Guarantee>(['at-least-once', 'exactly-once'])('scenario 8, %s: SIGKILL a windowed count every 5 s', (guarantee) => {
  it(`every final window of ${TOTAL} records equals an independent count${guarantee === 'exactly-once' ? ', once each' : ', repeats identical'}`, async () => {
    const ns = `${uniqueName(`s8-${guarantee === 'exactly-once' ? 'eos' : 'alo'}`)}.`;
    const file = await s8Topology(guarantee);
    const stateRoot = await mkdtemp(join(tmpdir(), 'sluice-s8-state-'));
    await transport.createTopics([
      { name: `${ns}events`, partitions: PARTITIONS, retentionMs: -1 },
      { name: `${ns}counts`, partitions: PARTITIONS, retentionMs: -1 },
    ]);
    // Every partition gets keys (so every task has windows to close).
    expect(new Set(Array.from({ length: KEYS }, (_, k) => partitionForKey(`k${k}`, PARTITIONS))).size).toBe(PARTITIONS);
    let lives = 0;
    const start = (slot: number) => Instance.start({ file, brokers: brokers(), namespace: ns, node: 'count', commitIntervalMs: 500, stateDir: join(stateRoot, `life-${slot}-${lives++}`) });
    const instances = [start(0), start(1)];
    const all = [...instances];
    onTestFailed(() => console.log(`[reliability] instance logs in ${saveLogs(ns, all)}`));

    let fed = false;
    const feeding = feed(`${ns}events`, 0, TOTAL).then(() => (fed = true));
    let kills = 0;
    while (!fed) {
      await sleep(KILL_EVERY_MS);
      if (fed) break;
      const slot = kills % instances.length;
      instances[slot]!.signal('SIGKILL');
      await instances[slot]!.exited;
      instances[slot] = start(slot);
      all.push(instances[slot]!);
      kills++;
    }
    await feeding;
    await closeEveryWindow(`${ns}events`);

    const expected = expectedCounts();
    let results: Result[] = [];
    const deadline = Date.now() + sized(120_000, 600_000);
    const seen = () => new Set(results.map((r) => `${r.key}@${r.start}`));
    while (Date.now() < deadline) {
      results = await readResults(`${ns}counts`);
      if ([...expected.keys()].every((id) => seen().has(id))) break;
      await sleep(2_000);
    }
    await sleep(3_000); // a last repeat in flight would show now
    results = await readResults(`${ns}counts`);
    for (const instance of instances) await instance.stop();

    const byWindow = new Map<string, number[]>();
    for (const r of results) {
      const id = `${r.key}@${r.start}`;
      byWindow.set(id, [...(byWindow.get(id) ?? []), r.value]);
    }
    const missing = [...expected.keys()].filter((id) => !byWindow.has(id));
    const wrong = [...expected].filter(([id, n]) => byWindow.has(id) && byWindow.get(id)!.some((v) => v !== n)).map(([id, n]) => `${id}: expected ${n}, got ${byWindow.get(id)!.join(',')}`);
    const repeated = [...byWindow.values()].filter((vs) => vs.length > 1).length;
    recordResult({
      scenario: '8 SIGKILL every 5 s, windowed count',
      mode: guarantee,
      records: TOTAL,
      faults: `${kills} SIGKILL`,
      report: { lost: missing.length, duplicates: repeated, orderViolations: [], read: results.length } as never,
      recovery: `${expected.size} windows`,
      notes: `${repeated} windows emitted more than once (identical)`,
    });
    expect(kills).toBeGreaterThan(0);
    expect(missing.slice(0, 5), `${missing.length} of ${expected.size} windows missing (${results.length} results read, ${kills} kills)`).toEqual([]);
    expect(wrong.slice(0, 5), `${wrong.length} windows with a wrong result`).toEqual([]);
    expect([...byWindow.keys()].filter((id) => !expected.has(id))).toEqual([]);
    if (guarantee === 'exactly-once') expect(repeated, 'windows emitted more than once').toBe(0);
  });
});
