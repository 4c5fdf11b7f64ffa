/**
 * A Kafka → Kafka stage against the real broker: dead letters, at-least-once
 * after a crash, and bounded memory when processing is slower than the input.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createCodecChain, schemaFromJson } from '../../../src/codecs/index.ts';
import { silentLogger } from '../../../src/core/index.ts';
import { TopologyRun } from '../../../src/runtime/index.ts';
import type { Topology } from '../../../src/topology/index.ts';
import { createTransport } from '../../../src/transport/index.ts';
import { brokers, kafka, uniqueName, withAdmin } from '../harness/kafka.ts';
import { readTopicToMarkers } from '../harness/read-topic.ts';
import { oneStageTopology } from './examples.ts';

const itemSchema = { type: 'record', name: 'Item', fields: [{ name: 'id', type: 'int' }, { name: 'note', type: 'string' }] };
const avro = createCodecChain('avro', { schema: schemaFromJson(itemSchema) });

/** Topics in.<ns>, out.<ns>; node `step` maps through a processor module (optionally slow). */
function itemTopology(processor: string): Promise<Topology> {
  return oneStageTopology({ schema: itemSchema, processor, deadLetter: 'in.dlq' });
}

/** Peak RSS of the test process while a stage works through a 200,000-record backlog behind a slow processor. */
const RSS_BOUND_MB = 400;

const passThrough = `import { defineProcessor } from 'sluice';
export default defineProcessor<{ id: number; note: string }>((v) => ({ ...v, note: v.note + '!' }));`;

async function produce(topic: string, count: number, poisonAt?: number): Promise<void> {
  const producer = kafka().producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (let start = 0; start < count; start += 2_000) {
    const messages = [];
    for (let i = start; i < Math.min(count, start + 2_000); i++) {
      messages.push({ key: `k${i}`, value: i === poisonAt ? Buffer.from('not avro at all \u0000\u00ff') : avro.encode({ id: i, note: `n${i}` }) });
    }
    await producer.send({ topic, acks: -1, messages });
  }
  await producer.disconnect();
}

/** Every record of `topic`, duplicates included, with its key and headers as text. */
async function readAll(topic: string) {
  const transport = kafkaTransport();
  try {
    return (await readTopicToMarkers(transport, topic)).map((r) => ({
      key: r.key?.toString() ?? null,
      value: r.value,
      headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, v.toString()])),
      partition: r.partition,
      offset: r.offset,
    }));
  } finally {
    await transport.close();
  }
}

const idOf = (m: { value: Buffer | null }) => (avro.decode(m.value!) as { id: number }).id;

/** The offsets a group has committed for `topic`, per partition (-1: none). */
async function committedOffsets(groupId: string, topic: string): Promise<Map<number, number>> {
  return withAdmin(async (admin) => {
    const [found] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map((found?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  });
}

const sumCommitted = (offsets: Map<number, number>) => [...offsets.values()].reduce((n, o) => n + Math.max(0, o), 0);

function kafkaTransport() {
  return createTransport({ brokers: brokers(), clientId: 'sluice-stage-test', logger: silentLogger });
}

describe('Kafka → Kafka stage', () => {
  it('dead-letters one poison record among 10,000 good ones with provenance headers, and passes every good one', async () => {
    const topology = await itemTopology(passThrough);
    const namespace = `${uniqueName('dlq')}.`;
    const transport = kafkaTransport();
    await transport.createTopics([{ name: `${namespace}in`, partitions: 3 }]);
    await produce(`${namespace}in`, 10_001, 5_000);

    const run = await TopologyRun.start({ topology, transport, logger: silentLogger, namespace, nodes: ['step'], untilCaughtUp: true, commitIntervalMs: 200 });
    const report = await run.done;
    await transport.close();

    expect(report.stages[0]).toMatchObject({ node: 'step', read: 10_001, written: 10_000, deadLettered: 1 });
    const out = await readAll(`${namespace}out`);
    const ids = out.map(idOf).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: 10_001 }, (_, i) => i).filter((i) => i !== 5_000));
    expect(out[0]!.headers['sluice-codec']).toBe('avro');

    const deadLetters = await readAll(`${namespace}in.dlq`);
    expect(deadLetters).toHaveLength(1);
    const [dead] = deadLetters;
    expect(dead!.key).toBe('k5000');
    expect(dead!.value!.equals(Buffer.from('not avro at all \u0000\u00ff'))).toBe(true);
    expect(dead!.headers).toMatchObject({
      'sluice.dlq.stage': 'step',
      'sluice.dlq.error.code': 'SLUICE_ERR_DESERIALIZE',
      'sluice.dlq.original.topic': `${namespace}in`,
    });
    const poison = (await readAll(`${namespace}in`)).find((m) => m.key === 'k5000')!;
    expect([dead!.headers['sluice.dlq.original.partition'], dead!.headers['sluice.dlq.original.offset']]).toEqual([String(poison.partition), poison.offset]);
  });

  it('after a crash mid-stream, a restart delivers every input at least once, re-processing only the uncommitted window', async () => {
    const slow = `import { defineProcessor } from 'sluice';
import { setTimeout as sleep } from 'node:timers/promises';
export default defineProcessor<{ id: number; note: string }>(async (v) => { if (v.id % 100 === 0) await sleep(5); return v; });`;
    const topology = await itemTopology(slow);
    const namespace = `${uniqueName('alo')}.`;
    const total = 6_000;
    let transport = kafkaTransport();
    await transport.createTopics([{ name: `${namespace}in`, partitions: 3 }]);
    await produce(`${namespace}in`, total);

    const first = await TopologyRun.start({ topology, transport, logger: silentLogger, namespace, nodes: ['step'], untilCaughtUp: false, commitIntervalMs: 100 });
    const stage = first.stages[0]!;
    // Crash once a third is written and some of it committed: the restart must then skip the committed part.
    while (stage.report().written < total / 3 || stage.topicSource!.tasks.committed === 0) await new Promise((r) => setTimeout(r, 20));
    stage.crash('test: simulated crash');
    await expect(first.done).resolves.toMatchObject({ failed: [{ node: 'step' }] });
    const beforeCrash = stage.report().written;
    await transport.close();
    const group = `${namespace}items.step`;
    const committed = await committedOffsets(group, `${namespace}in`);
    const committedCount = sumCommitted(committed);
    expect(committedCount).toBeGreaterThan(0);
    // At-least-once: nothing is committed before its output is acknowledged.
    expect(committedCount).toBeLessThanOrEqual(beforeCrash);

    transport = kafkaTransport();
    const second = await TopologyRun.start({ topology, transport, logger: silentLogger, namespace, nodes: ['step'], untilCaughtUp: true, commitIntervalMs: 100 });
    const report = await second.done;
    await transport.close();
    // The restart resumed exactly at the committed offsets: it read the rest and nothing before.
    expect(report.stages[0]!.read).toBe(total - committedCount);

    // Independently, from the input topic: where each id stood.
    const positions = new Map((await readAll(`${namespace}in`)).map((m) => [idOf(m), { partition: m.partition, offset: Number(m.offset) }]));
    const out = await readAll(`${namespace}out`);
    const times = new Map<number, number>();
    for (const m of out) times.set(idOf(m), (times.get(idOf(m)) ?? 0) + 1);
    expect(times.size).toBe(total); // nothing lost
    const twice = [...times].filter(([, n]) => n > 1);
    expect(twice.every(([, n]) => n === 2)).toBe(true);
    // Only the uncommitted window is processed again: every duplicate stood at or past its partition's committed offset.
    const outsideWindow = twice.filter(([id]) => {
      const p = positions.get(id)!;
      return p.offset < (committed.get(p.partition) ?? -1);
    });
    expect(outsideWindow).toEqual([]);
    expect(out.length).toBe(total + twice.length);
    console.log(`[at-least-once] crashed after ${beforeCrash} acknowledged, ${committedCount} committed; restart re-processed ${twice.length} of ${total}`);
  });

  it('pauses the consumer while a slow processor lags, so in-flight records, heap and RSS stay bounded under a 200,000-record backlog', async () => {
    const slow = `import { defineProcessor } from 'sluice';
import { setTimeout as sleep } from 'node:timers/promises';
export default defineProcessor<{ id: number; note: string }>(async (v) => { if (v.id % 10 === 0) await sleep(10); return v; });`;
    const topology = await itemTopology(slow);
    const namespace = `${uniqueName('bp')}.`;
    const transport = kafkaTransport();
    await transport.createTopics([{ name: `${namespace}in`, partitions: 3 }]);
    await produce(`${namespace}in`, 200_000);
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;

    const maxBuffered = 1_000;
    const run = await TopologyRun.start({ topology, transport, logger: silentLogger, namespace, nodes: ['step'], untilCaughtUp: false, maxBuffered, commitIntervalMs: 200 });
    const stage = run.stages[0]!;
    let maxInFlight = 0;
    let maxHeapGrowth = 0;
    let maxRss = 0;
    const deadline = Date.now() + 8_000;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      maxInFlight = Math.max(maxInFlight, stage.topicSource!.tasks.working);
      const { heapUsed, rss } = process.memoryUsage();
      maxHeapGrowth = Math.max(maxHeapGrowth, heapUsed - heapBefore);
      maxRss = Math.max(maxRss, rss);
    }
    const processed = stage.report().written;
    run.stop();
    await run.done;
    await transport.close();

    // Read but unfinished records: at most the source's bound plus what the stream buffers hold.
    expect(maxInFlight).toBeLessThanOrEqual(maxBuffered + 4 * 256 + 10_000);
    expect(processed).toBeLessThan(200_000); // the backlog was really there, and not all fetched
    expect(maxHeapGrowth).toBeLessThan(150 * 1024 * 1024);
    // The whole test process (vitest, kafkajs, the stage): the 200,000 records (~25 MB as Avro) were never all held at once.
    expect(maxRss).toBeLessThan(RSS_BOUND_MB * 1024 * 1024);
    console.log(`[backpressure] 8 s: processed ${processed}, max in flight ${maxInFlight}, max heap growth ${(maxHeapGrowth / 1048576).toFixed(1)} MB, peak RSS ${(maxRss / 1048576).toFixed(0)} MB (bound ${RSS_BOUND_MB} MB)`);
  });

  it('SIGTERM to a running `sluice run` exits 0 after committing, and a restart processes nothing twice', async () => {
    const slow = `import { defineProcessor } from 'sluice';
import { setTimeout as sleep } from 'node:timers/promises';
export default defineProcessor<{ id: number; note: string }>(async (v) => { if (v.id % 50 === 0) await sleep(5); return v; });`;
    const topology = await itemTopology(slow);
    const namespace = `${uniqueName('term')}.`;
    const total = 20_000;
    const transport = kafkaTransport();
    await transport.createTopics([{ name: `${namespace}in`, partitions: 3 }]);
    await transport.close();
    await produce(`${namespace}in`, total);

    const bin = fileURLToPath(new URL('../../../bin/sluice.js', import.meta.url));
    const args = [bin, 'run', topology.file, '--brokers', brokers().join(','), '--namespace', namespace, '--node', 'step', '--commit-interval', '200'];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SLUICE_LOG_LEVEL: 'info' } });
    let log = '';
    child.stderr.on('data', (c: Buffer) => (log += c.toString()));
    const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.on('exit', (code) => resolve({ code, at: Date.now() })));

    // Wait until the stage is producing, then stop it mid-stream.
    const admin = kafka().admin();
    await admin.connect();
    const produced = async () =>
      (await admin.fetchTopicOffsets(`${namespace}out`).catch(() => [])).reduce((n, p) => n + Number(p.high), 0);
    while ((await produced()) < 2_000) await new Promise((r) => setTimeout(r, 100));
    const signalledAt = Date.now();
    child.kill('SIGTERM');
    const { code, at } = await exited;
    expect(code, log.slice(-2_000)).toBe(0);
    expect(at - signalledAt).toBeLessThan(10_000);
    const afterStop = await produced();
    expect(afterStop).toBeLessThan(total); // it really stopped mid-stream
    await admin.disconnect();

    const again = kafkaTransport();
    const rest = await TopologyRun.start({ topology, transport: again, logger: silentLogger, namespace, nodes: ['step'], untilCaughtUp: true });
    const report = await rest.done;
    await again.close();
    expect(afterStop + report.stages[0]!.written).toBe(total); // nothing twice, nothing lost
    const out = await readAll(`${namespace}out`);
    expect(new Set(out.map(idOf)).size).toBe(total);
    expect(out).toHaveLength(total);
  });

  it('a second instance joining mid-stream takes partitions over and nothing is lost', async () => {
    const slow = `import { defineProcessor } from 'sluice';
import { setTimeout as sleep } from 'node:timers/promises';
export default defineProcessor<{ id: number; note: string }>(async (v) => { if (v.id % 4 === 0) await sleep(2); return v; });`;
    const topology = await itemTopology(slow);
    const namespace = `${uniqueName('rebal')}.`;
    const total = 15_000;
    const t1 = kafkaTransport();
    await t1.createTopics([{ name: `${namespace}in`, partitions: 3 }]);
    await produce(`${namespace}in`, total);

    const options = { topology, logger: silentLogger, namespace, nodes: ['step'], untilCaughtUp: false, commitIntervalMs: 100 } as const;
    const first = await TopologyRun.start({ ...options, transport: t1 });
    while (first.stages[0]!.report().written < 2_000) await new Promise((r) => setTimeout(r, 20));
    const t2 = kafkaTransport();
    const second = await TopologyRun.start({ ...options, transport: t2 });
    // Both members end up holding partitions.
    const deadline = Date.now() + 30_000;
    while (second.stages[0]!.topicSource!.consumer.assignment().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(second.stages[0]!.topicSource!.consumer.assignment().flatMap((a) => a.partitions).length).toBeGreaterThan(0);

    // The group is done once it has committed every input (an input is committed only after its output is acknowledged).
    const group = `${namespace}items.step`;
    const until = Date.now() + 90_000;
    let committedCount = 0;
    while ((committedCount = sumCommitted(await committedOffsets(group, `${namespace}in`))) < total) {
      if (Date.now() > until) throw new Error(`the two members committed ${committedCount} of ${total} inputs in 90 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
    first.stop();
    second.stop();
    const reports = await Promise.all([first.done, second.done]);
    await Promise.all([t1.close(), t2.close()]);
    expect(reports.flatMap((r) => r.failed)).toEqual([]);

    const out = await readAll(`${namespace}out`);
    expect(new Set(out.map(idOf)).size).toBe(total); // nothing lost
    const tookOver = second.stages[0]!.report().written;
    expect(tookOver).toBeGreaterThan(0);
    // Every output was written by one of the two members, duplicates of a handover included.
    expect(out.length).toBe(first.stages[0]!.report().written + tookOver);
    console.log(`[rebalance] second member took ${tookOver} records; duplicates ${out.length - total}`);
  });
});
