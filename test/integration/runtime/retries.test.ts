/**
 * A `sluice run` process on the real broker stopped while a processor's
 * retriable failure is being retried: SIGTERM lets the retry finish and the
 * record is delivered before the process exits 0; SIGKILL leaves it
 * uncommitted, and the next run delivers it. Either way, after a restart fed
 * with more records, the output holds every input and the dead-letter topic
 * none.
 */
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createCodecChain, schemaFromJson } from '../../../src/codecs/index.ts';
import { silentLogger } from '../../../src/core/index.ts';
import { TopologyRun } from '../../../src/runtime/index.ts';
import { createTransport, type Transport } from '../../../src/transport/index.ts';
import { brokers, uniqueName } from '../harness/kafka.ts';
import { readTopicToMarkers } from '../harness/read-topic.ts';
import { oneStageTopology } from './examples.ts';

const itemSchema = { type: 'record', name: 'Item', fields: [{ name: 'id', type: 'int' }, { name: 'held', type: 'boolean' }] };
const avro = createCodecChain('avro', { schema: schemaFromJson(itemSchema) });
const bin = fileURLToPath(new URL('../../../bin/sluice.js', import.meta.url));

async function feed(transport: Transport, topic: string, from: number, to: number, heldId?: number): Promise<void> {
  const producer = await transport.producer();
  const records = [];
  for (let id = from; id < to; id++) records.push({ topic, key: `k${id}`, value: avro.encode({ id, held: id === heldId }) });
  await producer.send(records);
  await producer.close();
}

describe.each(['SIGTERM', 'SIGKILL'] as const)('a stage process sent %s while a record is being retried', (signal) => {
  it('delivers that record and every other input once the run is restarted; nothing is dead-lettered', async () => {
    const namespace = `${uniqueName(`retry-${signal.toLowerCase()}`)}.`;
    const release = join(tmpdir(), uniqueName('sluice-release'));
    // The held record fails retriably until the file `release` exists: the processor's service is away until then.
    const topology = await oneStageTopology({
      schema: itemSchema,
      deadLetter: 'in.dlq',
      retries: '{ attempts: 100, backoff: 100ms, max-backoff: 200ms }',
      processor: `import { existsSync } from 'node:fs';
import { defineProcessor, retriable } from 'sluice';
export default defineProcessor<{ id: number; held: boolean }>((v) => {
  if (v.held && !existsSync(${JSON.stringify(release)})) throw retriable(new Error('service away'));
  return v;
});`,
    });
    const transport = createTransport({ brokers: brokers(), clientId: 'sluice-retries-test', logger: silentLogger });
    await transport.createTopics([{ name: `${namespace}in`, partitions: 3 }, { name: `${namespace}out`, partitions: 3 }]);
    await feed(transport, `${namespace}in`, 0, 300, 150);

    const child = spawn(process.execPath, [bin, 'run', topology.file, '--brokers', brokers().join(','), '--namespace', namespace, '--node', 'step', '--commit-interval', '100', '--session-timeout', '6000'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, SLUICE_LOG_LEVEL: 'warn' },
    });
    // A failing test must not leave the process behind.
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let log = '';
    const retrying = new Promise<void>((resolve) =>
      child.stderr.on('data', (c: Buffer) => {
        log += c.toString();
        if (log.includes('record failed with a retriable error; retrying')) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await retrying;
    child.kill(signal);
    if (signal === 'SIGTERM') {
      // The stop waits for the retry; the service comes back, so the retry succeeds and the process exits cleanly.
      writeFileSync(release, '');
      expect(await exited, log.slice(-2_000)).toBe(0);
    } else {
      expect(await exited).toBeNull();
      writeFileSync(release, '');
    }

    await feed(transport, `${namespace}in`, 300, 400);
    const rest = await TopologyRun.start({ topology, transport, logger: silentLogger, namespace, nodes: ['step'], untilCaughtUp: true });
    const report = await rest.done;
    expect(report.failed).toEqual([]);

    const ids = (await readTopicToMarkers(transport, `${namespace}out`)).map((r) => (avro.decode(r.value!) as { id: number }).id);
    expect(new Set(ids)).toEqual(new Set(Array.from({ length: 400 }, (_, i) => i)));
    if (signal === 'SIGTERM') expect(ids.length, 'a clean stop commits what it wrote: nothing twice').toBe(400);
    expect(await readTopicToMarkers(transport, `${namespace}in.dlq`)).toEqual([]);
    await transport.close();
    rmSync(release);
  });
});
