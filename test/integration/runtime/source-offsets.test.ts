/**
 * File sources and file sinks across runs and faults, on the real broker, as
 * a user runs them: `sluice run` subprocesses. A file source remembers how far
 * it got in `<topology>.<node>.source-offsets`, so a second run publishes
 * nothing twice; a file source SIGKILLed mid-run re-publishes at most what it
 * had not committed, one SIGTERMed re-publishes nothing; a file sink SIGKILLed
 * mid-run keeps every record whose offset it committed; and after lines are
 * appended to the input, the output equals an independent computation, with
 * extras only as exact repeats of records in the uncommitted window.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { brokers, uniqueName, withAdmin } from '../harness/kafka.ts';
import { consumeUntil, until } from '../coordinator/helpers.ts';
import { Instance, killAll } from '../../reliability/harness/instances.ts';
import { writeTopology } from './examples.ts';

const bin = fileURLToPath(new URL('../../../bin/sluice.js', import.meta.url));

afterEach(killAll);

/** Sleeps every `every` records, so a run lasts long enough to be interrupted. */
const slowModule = (every: number, ms: number) => `import { defineProcessor } from 'sluice';
let seen = 0;
export default defineProcessor(async (v: { n: number }) => {
  if (++seen % ${every} === 0) await new Promise((r) => setTimeout(r, ${ms}));
  return { n: v.n, sq: v.n * v.n };
});
`;

const topologyText = (load: string, store: string) => `
name: sp
topics:
  squares: { partitions: 2 }
nodes:
  load:
    source: { file: ./data/in.ndjson }
    process:
      - map: { module: ./${load} }
    to: squares
  store:
    from: squares
    process:
      - map: { module: ./${store} }
    sink: { file: ./out/squares.ndjson }
`;

const inputLines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `{"n":${from + i}}\n`).join('');
/** What the output must hold, computed without sluice. */
const expectedLine = (n: number) => JSON.stringify({ n, sq: n * n });

interface TopicRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string;
}

async function endOffsets(topic: string): Promise<number> {
  return withAdmin(async (admin) => (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0));
}

/** Every record of `topic` as it stands now. */
async function readAll(topic: string): Promise<TopicRecord[]> {
  const total = await endOffsets(topic);
  const out: TopicRecord[] = [];
  if (total === 0) return out;
  await consumeUntil(
    topic,
    (partition, message) => out.push({ partition, offset: Number(message.offset), key: message.key?.toString() ?? null, value: message.value!.toString() }) >= total,
    () => `read ${out.length} of ${total} records`,
  );
  return out;
}

/** The group's committed offset per partition of `topic` (next to read). */
async function committed(group: string, topic: string): Promise<Map<number, number>> {
  return withAdmin(async (admin) => {
    const [found] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return new Map((found?.partitions ?? []).map((p) => [p.partition, Math.max(0, Number(p.offset))]));
  });
}

async function storedLine(topic: string): Promise<number> {
  const last = (await readAll(topic)).at(-1);
  return last === undefined ? 0 : (JSON.parse(last.value) as { line: number }).line;
}

function run(file: string, namespace: string, ...args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [bin, 'run', file, '--brokers', brokers().join(','), '--namespace', namespace, '--port', '0', '--commit-interval', '200', ...args], {
    env: { ...process.env, SLUICE_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

function counts(values: readonly number[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

describe('file sources and sinks on Kafka', () => {
  it('a second `sluice run --until-caught-up` publishes and writes nothing twice', async () => {
    const namespace = `${uniqueName('sp-twice')}.`;
    const file = writeTopology({
      'topology.yaml': topologyText('fast.ts', 'fast.ts'),
      'fast.ts': slowModule(1_000_000, 0),
      'data/in.ndjson': inputLines(1, 2_000),
    });
    for (const round of [1, 2]) {
      const { code, stderr } = await run(file, namespace, '--until-caught-up');
      expect(code, stderr).toBe(0);
      expect(stderr).toMatch(new RegExp(`^ {2}load +read +${round === 1 ? 2_000 : 0} `, 'm'));
    }
    const topic = (await readAll(`${namespace}squares`)).map((r) => (JSON.parse(r.value) as { n: number }).n);
    expect(topic.length).toBe(2_000);
    expect(new Set(topic).size).toBe(2_000);
    const output = readFileSync(join(file, '../out/squares.ndjson'), 'utf8').trim().split('\n');
    expect(output.sort()).toEqual(Array.from({ length: 2_000 }, (_, i) => expectedLine(i + 1)).sort());
  }, 180_000);

  it('after a SIGKILL and a SIGTERM of each stage and lines appended, the output is the input once, plus only repeats of the uncommitted window', async () => {
    const namespace = `${uniqueName('sp-faults')}.`;
    const FIRST = 30_000;
    const MORE = 5_000;
    const file = writeTopology({
      'topology.yaml': topologyText('slow-load.ts', 'slow-store.ts'),
      // ~4,000 records/s in, ~2,000/s out: runs long enough to be cut.
      'slow-load.ts': slowModule(200, 50),
      'slow-store.ts': slowModule(100, 50),
      'data/in.ndjson': inputLines(1, FIRST),
    });
    const input = join(file, '../data/in.ndjson');
    const output = join(file, '../out/squares.ndjson');
    const topic = `${namespace}squares`;
    const offsetsTopic = `${namespace}sp.load.source-offsets`;
    const storeGroup = `${namespace}sp.store`;
    const start = (node: string) => Instance.start({ file, brokers: brokers(), namespace, node, commitIntervalMs: 200 });

    // 1. SIGKILL the file source mid-file: it may re-publish only what it had not stored as done.
    const load1 = start('load');
    const store1 = start('store');
    await until('8,000 records published', async () => ((await endOffsets(topic).catch(() => 0)) >= 8_000 ? true : undefined), 120_000, 100);
    load1.signal('SIGKILL');
    await load1.exited;
    const publishedAtKill = await endOffsets(topic);
    const storedAtKill = await storedLine(offsetsTopic);
    expect(publishedAtKill, 'the source was killed before the end of its file').toBeLessThan(FIRST);
    expect(storedAtKill).toBeGreaterThan(0);
    expect(storedAtKill).toBeLessThanOrEqual(publishedAtKill);

    // 2. SIGKILL the file sink mid-run: every record whose offset it committed is in the file.
    const committedAtKill = await until(
      'the sink to commit 2,000 records',
      async () => {
        const c = await committed(storeGroup, topic);
        return [...c.values()].reduce((a, b) => a + b, 0) >= 2_000 ? c : undefined;
      },
      120_000,
      100,
    );
    store1.signal('SIGKILL');
    await store1.exited;
    const acknowledged = (await readAll(topic)).filter((r) => r.offset < (committedAtKill.get(r.partition) ?? 0));
    const writtenLines = readFileSync(output, 'utf8').split('\n').filter((l) => l !== '');
    const written = new Set(writtenLines);
    // Lines the sink wrote past its committed offsets: its restart may write them again.
    const sinkWindow = writtenLines.length - acknowledged.length;
    expect(acknowledged.length).toBeGreaterThanOrEqual(2_000);
    expect(acknowledged.filter((r) => !written.has(expectedLine((JSON.parse(r.value) as { n: number }).n))).length).toBe(0);
    expect(written.size, 'the sink was killed before it had written everything published').toBeLessThan(publishedAtKill);

    // 3. Both again; SIGTERM the source mid-file: it drains, stores its position, exits 0, repeats nothing later.
    const load2 = start('load');
    const store2 = start('store');
    await until('4,000 more records published', async () => ((await endOffsets(topic)) >= publishedAtKill + 4_000 ? true : undefined), 120_000, 100);
    const termed = await load2.stop();
    expect(termed.exit.code, load2.log.slice(-2_000)).toBe(0);
    const storedAtTerm = await storedLine(offsetsTopic);
    expect(storedAtTerm, 'the source was stopped before the end of its file').toBeLessThan(FIRST);
    const afterTerm = (await readAll(topic)).map((r) => (JSON.parse(r.value) as { n: number }).n);
    // Exactly lines 1..storedAtTerm were published, the ones after the kill's stored position perhaps twice.
    expect(new Set(afterTerm)).toEqual(new Set(Array.from({ length: storedAtTerm }, (_, i) => i + 1)));
    const stop2 = await store2.stop();
    expect(stop2.exit.code, store2.log.slice(-2_000)).toBe(0);

    // 4. Lines appended; one run of the whole topology to the end.
    appendFileSync(input, inputLines(FIRST + 1, FIRST + MORE));
    const last = await run(file, namespace, '--until-caught-up');
    expect(last.code, last.stderr).toBe(0);

    const TOTAL = FIRST + MORE;
    const published = counts((await readAll(topic)).map((r) => (JSON.parse(r.value) as { n: number }).n));
    expect(published.size).toBe(TOTAL);
    const repeated = [...published].filter(([, c]) => c > 1);
    // Only the SIGKILL repeats, and only lines past the position stored before it, published before it.
    expect(repeated.every(([n, c]) => c === 2 && n > storedAtKill && n <= publishedAtKill)).toBe(true);
    expect(repeated.length).toBeLessThanOrEqual(publishedAtKill - storedAtKill);

    const lines = readFileSync(output, 'utf8').split('\n').filter((l) => l !== '');
    const expected = new Set(Array.from({ length: TOTAL }, (_, i) => expectedLine(i + 1)));
    // Every line is a whole record of the expected output (no torn or foreign line), and every record is there.
    expect(lines.filter((l) => !expected.has(l))).toEqual([]);
    expect(new Set(lines).size).toBe(TOTAL);
    expect(lines.length - TOTAL).toBeLessThanOrEqual(repeated.length + sinkWindow);
  }, 480_000);
});
