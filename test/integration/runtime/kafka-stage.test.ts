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
import { brokers, kafka, uniqueName } from '../harness/kafka.ts';
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

async function readAll(topic: string, expected: number, timeoutMs = 60_000) {
  const consumer = kafka().consumer({ groupId: uniqueName('reader') });
  const out: Array<{ key: string | null; value: Buffer | null; headers: Record<string, string>; partition: number }> = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${out.length} of ${expected} from ${topic}`)), timeoutMs);
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        out.push({ key: message.key?.toString() ?? null, value: message.value, headers, partition });
        if (out.length >= expected) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return out;
}

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
    const out = await readAll(`${namespace}out`, 10_000);
    const ids = out.map((m) => (avro.decode(m.value!) as { id: number }).id).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: 10_001 }, (_, i) => i).filter((i) => i !== 5_000));
    expect(out[0]!.headers['sluice-codec']).toBe('avro');

    const [dead] = await readAll(`${namespace}in.dlq`, 1);
    expect(dead!.key).toBe('k5000');
    expect(dead!.value!.equals(Buffer.from('not avro at all \u0000\u00ff'))).toBe(true);
    expect(dead!.headers).toMatchObject({
      'sluice.dlq.stage': 'step',
      'sluice.dlq.error.code': 'SLUICE_ERR_DESERIALIZE',
      'sluice.dlq.original.topic': `${namespace}in`,
    });
    expect(Number(dead!.headers['sluice.dlq.original.offset'])).toBeGreaterThanOrEqual(0);
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
    while (stage.report().written < total / 3) await new Promise((r) => setTimeout(r, 20));
    stage.crash('test: simulated crash');
    await expect(first.done).resolves.toMatchObject({ failed: [{ node: 'step' }] });
    const beforeCrash = stage.report().written;
    await transport.close();

    transport = kafkaTransport();
    const second = await TopologyRun.start({ topology, transport, logger: silentLogger, namespace, nodes: ['step'], untilCaughtUp: true, commitIntervalMs: 100 });
    const report = await second.done;
    await transport.close();

    const expectedOut = beforeCrash + report.stages[0]!.written;
    const out = await readAll(`${namespace}out`, expectedOut);
    const ids = new Set(out.map((m) => (avro.decode(m.value!) as { id: number }).id));
    expect(ids.size).toBe(total); // nothing lost
    const reprocessed = out.length - total;
    expect(reprocessed).toBeGreaterThanOrEqual(0);
    // Only what was in flight or not yet committed when the stage crashed is read again.
    expect(reprocessed).toBeLessThan(total - beforeCrash + 1);
    console.log(`[at-least-once] crashed after ${beforeCrash} acknowledged; restart re-processed ${reprocessed} of ${total}`);
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
      maxInFlight = Math.max(maxInFlight, stage.topicSource!.tracker.inFlight);
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
    const out = await readAll(`${namespace}out`, total);
    expect(new Set(out.map((m) => (avro.decode(m.value!) as { id: number }).id)).size).toBe(total);
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

    const out = await readAll(`${namespace}out`, total, 90_000).catch(() => undefined);
    const seen = new Set<number>();
    const consumer = kafka().consumer({ groupId: uniqueName('verify') });
    await consumer.connect();
    await consumer.subscribe({ topic: `${namespace}out`, fromBeginning: true });
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.add((avro.decode(message.value!) as { id: number }).id);
          if (seen.size === total) resolve();
        },
      });
    });
    await consumer.disconnect();
    first.stop();
    second.stop();
    await Promise.all([first.done, second.done]);
    await Promise.all([t1.close(), t2.close()]);
    expect(out).toBeDefined();
    expect(seen.size).toBe(total);
    expect(second.stages[0]!.report().written).toBeGreaterThan(0);
    const duplicates = out!.length >= total ? out!.length - total : 0;
    console.log(`[rebalance] second member took ${second.stages[0]!.report().written} records; duplicates ${duplicates}`);
  });
});
