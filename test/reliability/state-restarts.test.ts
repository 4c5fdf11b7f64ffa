/**
 * State that survives restarts, on the real broker (a fault scenario: it runs
 * with the reliability suite, one file at a time, since SIGKILLed runs and
 * their session timeouts stretch past their bounds on a machine busy with
 * other test files): `sluice run` processes of
 * the project's binary, stopped (to the end, or by SIGKILL in the middle) and
 * run again, and the final results compared with an independent computation.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/index.ts';
import { createTransport } from '../../src/transport/index.ts';
import { brokers, uniqueName } from '../integration/harness/kafka.ts';
import { readTopicToMarkers } from '../integration/harness/read-topic.ts';
import { killedAfterEach, spawnSluice, type SluiceProcess } from './harness/sluice-process.ts';

const wordCount = fileURLToPath(new URL('../../topologies/word-count/topology.yaml', import.meta.url));
const MIN = 60_000;
const STUCK_MS = 90_000;

const transport = createTransport({ brokers: brokers(), clientId: 'state-test', logger: silentLogger });
afterAll(() => transport.close());
const children = killedAfterEach();

function sluiceRun(file: string, namespace: string, nodes: string, stateDir: string, extra: string[] = []): SluiceProcess {
  return spawnSluice(['run', file, '--brokers', brokers().join(','), '--namespace', namespace, '--node', nodes, '--state-dir', stateDir, '--commit-interval', '200', '--session-timeout', '6000', ...extra], children);
}

async function untilCaughtUp(file: string, namespace: string, nodes: string, stateDir: string): Promise<void> {
  const run = sluiceRun(file, namespace, nodes, stateDir, ['--until-caught-up']);
  // A run that does not end is the failure to diagnose: its log, while it still hangs.
  const stuck = setTimeout(() => console.error(`[state] ${nodes} still running after ${STUCK_MS} ms; its log so far:\n${run.log().slice(-8_000)}`), STUCK_MS);
  const exit = await run.exited;
  clearTimeout(stuck);
  expect(exit, run.log()).toEqual({ code: 0, signal: null });
}

/** The last value of every key of a (compacted, so marker-free) topic: what a table of it holds. */
async function latest(topic: string): Promise<Map<string, unknown>> {
  const [description] = await transport.describeTopics([topic]);
  const table = new Map<string, unknown>();
  const reads = Array.from({ length: description!.partitions }, (_, partition) => ({ partition, from: null }));
  await transport.readPartitions(topic, reads, async (records) => {
    for (const r of records) table.set(r.key!.toString(), JSON.parse(r.value!.toString()));
  });
  return table;
}

/** Counted independently of sluice: lower-cased words as split-words.ts splits them. */
function countWords(lines: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of lines) for (const w of line.toLowerCase().match(/[\p{L}']+/gu) ?? []) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
}

async function untilChangelogGrows(topic: string): Promise<void> {
  const start = await changelogSize(topic);
  for (let i = 0; i < 600; i++) {
    await sleep(50);
    if ((await changelogSize(topic)) > start) return;
  }
  throw new Error(`${topic} did not grow in 30 s`);
}

async function changelogSize(topic: string): Promise<number> {
  const ends = await transport.endOffsets(topic).catch(() => []);
  return ends.reduce((n, e) => n + Number(e.offset ?? 0), 0);
}

async function corpus(): Promise<string[]> {
  const text = await readFile(fileURLToPath(new URL('../../topologies/word-count/data/text.txt', import.meta.url)), 'utf8');
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  // Repeated with a twist per copy, so counts run into the hundreds and words differ between halves.
  return Array.from({ length: 2_000 }, (_, i) => lines.map((l) => `${l} copy${i % 97}`)).flat();
}

async function publishLines(topic: string, lines: readonly string[]): Promise<void> {
  const producer = await transport.producer();
  await producer.send(lines.map((line) => ({ topic, key: null, value: JSON.stringify(line) })));
  await producer.close();
}

describe('word count across restarts (global window, changelog-backed counts)', () => {
  for (const crash of [false, true]) {
    it(`equals an independent count of the whole corpus when loaded in two halves${crash ? ', with a SIGKILL in the middle of each run' : ''}`, async () => {
      const ns = `${uniqueName(crash ? 'wck' : 'wc')}.`;
      const stateDir = await mkdtemp(join(tmpdir(), 'sluice-state-'));
      const lines = await corpus();
      const halves = [lines.slice(0, lines.length / 2), lines.slice(lines.length / 2)];
      await transport.createTopics([{ name: `${ns}text.lines`, partitions: 1 }]);
      for (const half of halves) {
        await publishLines(`${ns}text.lines`, half);
        if (crash) {
          // The count stage alone is killed, while it is busy: once its changelog holds some changes, not all.
          // (Killing the split too would make at-least-once duplicates of words, which any count then counts.)
          await untilCaughtUp(wordCount, ns, 'split', stateDir);
          const doomed = sluiceRun(wordCount, ns, 'count', stateDir);
          await untilChangelogGrows(`${ns}word-count.count.aggregate-changelog`);
          doomed.kill('SIGKILL');
          await doomed.exited;
        }
        await untilCaughtUp(wordCount, ns, 'split,count', stateDir);
      }
      const counts = await latest(`${ns}word.counts`);
      const expected = countWords(lines);
      const wrong = [...expected].filter(([w, n]) => (counts.get(w) as { value: number } | undefined)?.value !== n);
      expect(wrong.slice(0, 5).map(([w, n]) => [w, n, (counts.get(w) as { value: number } | undefined)?.value]), `${wrong.length} of ${expected.size} words wrong (word, expected, got)`).toEqual([]);
      expect(counts.size).toBe(expected.size);
    }, 300_000);
  }
});

describe('a tumbling window across a stop', () => {
  it('gives exactly one result for the window, of all its records', async () => {
    const ns = `${uniqueName('tw')}.`;
    const dir = await mkdtemp(join(tmpdir(), 'sluice-tumbling-'));
    const file = join(dir, 'topology.yaml');
    await writeFile(
      file,
      ['name: tumbling', 'topics:', '  clicks: { partitions: 1 }', '  per-minute: { partitions: 1 }', 'nodes:', '  count:', '    from: clicks', '    window: { tumbling: 1m, aggregate: count }', '    to: per-minute', ''].join('\n'),
    );
    const minute = Math.floor(Date.now() / MIN) * MIN - 10 * MIN;
    const send = async (times: number[]) => {
      const producer = await transport.producer();
      await producer.send(times.map((t) => ({ topic: `${ns}clicks`, key: 'page-1', value: JSON.stringify({ page: '/a' }), timestamp: t })));
      await producer.close();
    };
    await transport.createTopics([{ name: `${ns}clicks`, partitions: 1 }]);
    await send([minute + 1_000, minute + 2_000, minute + 3_000]);
    await untilCaughtUp(file, ns, 'count', join(dir, 'state'));
    await send([minute + 4_000, minute + 5_000, minute + 2 * MIN + 1_000]);
    await untilCaughtUp(file, ns, 'count', join(dir, 'state'));
    const results = (await readTopicToMarkers(transport, `${ns}per-minute`)).map((r) => JSON.parse(r.value!.toString()) as { start: number; value: number });
    expect(results).toEqual([{ key: 'page-1', start: minute, end: minute + MIN, value: 5 }]);
  });
});
