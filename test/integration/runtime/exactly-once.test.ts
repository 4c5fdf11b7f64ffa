/**
 * `guarantee: exactly-once` on a Kafka → Kafka stage, on both transports:
 * after a crash mid-transaction (and, on Kafka, a SIGKILLed process) the
 * read_committed output equals the input set, with no duplicate and per-key
 * order kept.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createCodecChain, schemaFromJson } from '../../../src/codecs/index.ts';
import { silentLogger } from '../../../src/core/index.ts';
import { TopologyRun } from '../../../src/runtime/index.ts';
import type { Topology } from '../../../src/topology/index.ts';
import { createEmbeddedTransport, createSourceStream, createTransport, EmbeddedBroker, type ConsumedRecord, type Transport } from '../../../src/transport/index.ts';
import { brokers, uniqueName } from '../harness/kafka.ts';
import { readTopicToMarkers } from '../harness/read-topic.ts';
import { oneStageTopology } from './examples.ts';

const itemSchema = { type: 'record', name: 'Item', fields: [{ name: 'id', type: 'int' }, { name: 'seq', type: 'int' }] };
const avro = createCodecChain('avro', { schema: schemaFromJson(itemSchema) });
const KEYS = 40;

async function eosTopology(): Promise<Topology> {
  return oneStageTopology({
    schema: itemSchema,
    guarantee: 'exactly-once',
    processor: `import { defineProcessor } from 'sluice';
import { setTimeout as sleep } from 'node:timers/promises';
// Every 7th record fans out to two outputs, so transactions must not split a record's outputs.
export default defineProcessor<{ id: number; seq: number }>(async (v) => {
  if (v.id % 200 === 0) await sleep(3);
  return v.id % 7 === 0 ? [v, { id: -v.id - 1, seq: v.seq }] : v;
});`,
  });
}

function expectedOutputs(total: number): number[] {
  const ids: number[] = [];
  for (let i = 0; i < total; i++) {
    ids.push(i);
    if (i % 7 === 0) ids.push(-i - 1);
  }
  return ids.sort((a, b) => a - b);
}

async function feed(transport: Transport, topic: string, total: number): Promise<void> {
  await transport.createTopics([{ name: topic, partitions: 3 }, { name: topic.replace(/in$/, 'out'), partitions: 3 }]);
  const producer = await transport.producer();
  const seq = new Map<string, number>();
  for (let start = 0; start < total; start += 1_000) {
    const batch = [];
    for (let i = start; i < Math.min(total, start + 1_000); i++) {
      const key = `k${i % KEYS}`;
      const n = (seq.get(key) ?? 0) + 1;
      seq.set(key, n);
      batch.push({ topic, key, value: avro.encode({ id: i, seq: n }) });
    }
    await producer.send(batch);
  }
  await producer.close();
}

/** `out`: every committed output, read up to markers written after the stages ended, so a duplicate beyond the expected count is in it too. */
function checkExact(out: ConsumedRecord[], total: number): void {
  const values = out.map((r) => ({ key: r.key!.toString(), partition: r.partition, ...(avro.decode(r.value!) as { id: number; seq: number }) }));
  expect(values.map((v) => v.id).sort((a, b) => a - b)).toEqual(expectedOutputs(total));
  // Per-key order: each key's positive records keep their input sequence.
  const lastSeq = new Map<string, number>();
  for (const v of values) {
    if (v.id < 0) continue;
    expect(v.seq, `key ${v.key} out of order`).toBeGreaterThan(lastSeq.get(v.key) ?? 0);
    lastSeq.set(v.key, v.seq);
  }
}

const targets: Array<[string, () => { transport: () => Transport; namespace: string }]> = [
  [
    'embedded',
    () => {
      const broker = new EmbeddedBroker();
      return { transport: () => createEmbeddedTransport(broker), namespace: '' };
    },
  ],
  [
    'kafka',
    () => ({
      transport: () => createTransport({ brokers: brokers(), clientId: 'sluice-eos-test', logger: silentLogger }),
      namespace: `${uniqueName('eos')}.`,
    }),
  ],
];

describe.each(targets)('exactly-once stage on the %s transport', (_name, make) => {
  it('a crash mid-stream and a restart leave exactly the input set in the committed output, in per-key order', async () => {
    const { transport: open, namespace } = make();
    const topology = await eosTopology();
    const total = 8_000;
    const feeder = open();
    await feed(feeder, `${namespace}in`, total);

    const first = open();
    const run = await TopologyRun.start({ topology, transport: first, logger: silentLogger, namespace, nodes: ['step'], untilCaughtUp: false });
    const stage = run.stages[0]!;
    expect(stage.exactlyOnce).toBe(true);
    while (stage.report().written < total / 4) await new Promise((r) => setTimeout(r, 10));
    stage.crash('test: crash mid-transaction');
    await run.done;
    await first.close();

    const second = open();
    const rest = await TopologyRun.start({ topology, transport: second, logger: silentLogger, namespace, nodes: ['step'], untilCaughtUp: true });
    await rest.done;
    await second.close();

    const out = await readTopicToMarkers(feeder, `${namespace}out`);
    await feeder.close();
    checkExact(out, total);
  });
});

describe('exactly-once stage in a process killed with SIGKILL', () => {
  it('restarts from its last transaction: committed output exact, no duplicate', async () => {
    const topology = await eosTopology();
    const namespace = `${uniqueName('eoskill')}.`;
    const total = 20_000;
    const transport = createTransport({ brokers: brokers(), clientId: 'sluice-eos-kill', logger: silentLogger });
    await feed(transport, `${namespace}in`, total);

    const bin = fileURLToPath(new URL('../../../bin/sluice.js', import.meta.url));
    const child = spawn(process.execPath, [bin, 'run', topology.file, '--brokers', brokers().join(','), '--namespace', namespace, '--node', 'step', '--session-timeout', '6000'], {
      stdio: 'ignore',
    });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    // Kill it once some transactions have committed.
    const verify = await transport.consumer({ groupId: uniqueName('peek'), topics: [`${namespace}out`], fromBeginning: true, readCommitted: true });
    const peek = await createSourceStream(verify);
    let seen = 0;
    for await (const _ of peek) if (++seen >= 3_000) break;
    child.kill('SIGKILL');
    await exited;
    await verify.disconnect();

    const rest = await TopologyRun.start({ topology, transport, logger: silentLogger, namespace, nodes: ['step'], untilCaughtUp: true });
    await rest.done;
    const out = await readTopicToMarkers(transport, `${namespace}out`);
    await transport.close();
    checkExact(out, total);
  });
});

describe('a zombie exactly-once instance', () => {
  it('paused past its session timeout while another takes over, then resumed: its writes are fenced, no duplicate', async () => {
    const topology = await eosTopology();
    const namespace = `${uniqueName('zombie')}.`;
    const total = 20_000;
    const transport = createTransport({ brokers: brokers(), clientId: 'sluice-eos-zombie', logger: silentLogger });
    await feed(transport, `${namespace}in`, total);

    const bin = fileURLToPath(new URL('../../../bin/sluice.js', import.meta.url));
    const zombie = spawn(process.execPath, [bin, 'run', topology.file, '--brokers', brokers().join(','), '--namespace', namespace, '--node', 'step', '--session-timeout', '6000'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, SLUICE_LOG_LEVEL: 'warn' },
    });
    let log = '';
    zombie.stderr.on('data', (c: Buffer) => (log += c.toString()));
    const exited = new Promise<number | null>((resolve) => zombie.on('exit', (code) => resolve(code)));
    const peekConsumer = await transport.consumer({ groupId: uniqueName('peek'), topics: [`${namespace}out`], fromBeginning: true, readCommitted: true });
    const peek = await createSourceStream(peekConsumer);
    let seen = 0;
    for await (const _ of peek) if (++seen >= 2_000) break;
    await peekConsumer.disconnect();
    zombie.kill('SIGSTOP');

    // The successor joins; once the zombie's session expires it owns every partition and fences the zombie's producers.
    const successor = await TopologyRun.start({ topology, transport, logger: silentLogger, namespace, nodes: ['step'], untilCaughtUp: true, sessionTimeoutMs: 6_000 });
    await successor.done;
    zombie.kill('SIGCONT');
    const code = await Promise.race([exited, new Promise<'alive'>((r) => setTimeout(() => r('alive'), 8_000))]);
    if (code === 'alive') zombie.kill('SIGKILL');

    const out = await readTopicToMarkers(transport, `${namespace}out`);
    await transport.close();
    checkExact(out, total);
    console.log(`[zombie] resumed zombie ${code === 'alive' ? 'was still running (killed)' : `exited ${code}`}; fenced: ${/FENCED|fenced/.test(log)}`);
  });
});

