/**
 * `retries:` retries processors: a processor that throws a retriable error
 * (`retriable(err)`, or a SluiceError with `retriable: true`) is called again
 * for the same record with the node's backoff; it is delivered if a retry
 * succeeds, in its place in the order, and dead-lettered with its code and
 * the number of attempts once they run out. A non-retriable error is
 * dead-lettered after one attempt. Each retry logs a warn line with code,
 * attempt and delay; a dead letter logs its code and place, with the stack
 * only at debug. A stop during a retry lets it finish; a crash during one
 * leaves the record uncommitted, and the next run delivers it. On the
 * embedded transport, so it needs no broker.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, silentLogger } from '../../../src/core/index.ts';
import { TopologyRun } from '../../../src/runtime/index.ts';
import { loadTopology } from '../../../src/topology/index.ts';
import { EmbeddedBroker, createEmbeddedTransport } from '../../../src/transport/index.ts';
import { writeTopology } from '../../integration/runtime/examples.ts';
import { readTopic } from './embedded-topic.ts';

interface Hooks {
  calls: Map<number, number>;
  /** Called on every call of the processor, before it answers. */
  onCall?: (id: number, call: number) => void;
  /** While false, `held` records fail retriably. */
  released: boolean;
}

const hooks = (globalThis as { __sluiceRetryHooks?: Record<string, Hooks> }).__sluiceRetryHooks ??= {};

/** `mode` of each record: ok, flaky (fails retriably twice), down (always retriably), bad (a plain error), held (retriably until released). */
const processor = `import { defineProcessor, retriable, SluiceError, ErrorCodes } from 'sluice';
export default defineProcessor<{ id: number; mode: string; run: string }>((v) => {
  const h = globalThis.__sluiceRetryHooks[v.run];
  const call = (h.calls.get(v.id) ?? 0) + 1;
  h.calls.set(v.id, call);
  h.onCall?.(v.id, call);
  if (v.mode === 'flaky' && call <= 2) throw retriable(new Error('service away'));
  if (v.mode === 'down') throw new SluiceError(ErrorCodes.TIMEOUT, 'service still away', { retriable: true });
  if (v.mode === 'bad') throw new Error('bad record');
  if (v.mode === 'held' && !h.released) throw retriable(new Error('held'));
  return v;
});`;

function newRun(): { id: string; hooks: Hooks } {
  const id = `r${Math.random().toString(36).slice(2)}`;
  const h: Hooks = { calls: new Map(), released: false };
  hooks[id] = h;
  return { id, hooks: h };
}

function captureLogs(level: string): { logger: pino.Logger; lines: () => Array<Record<string, unknown>> } {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return {
    logger: pino({ level }, sink),
    lines: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

async function fileTopology(run: string, modes: string[], retries: string) {
  const file = writeTopology({
    'processors/call.ts': processor,
    'in.ndjson': modes.map((mode, i) => JSON.stringify({ id: i + 1, mode, run })).join('\n') + '\n',
    'topology.yaml': `
name: retries
nodes:
  call:
    source: { file: ./in.ndjson }
    process:
      - map: { module: ./processors/call.ts }
    sink: { file: ./out.ndjson }
    dead-letter: calls.dlq
    retries: ${retries}
`,
  });
  return loadTopology(file);
}

const ids = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { id: number }).id);

describe('processor retries', () => {
  it('delivers a record whose retry succeeds, in order; dead-letters after exactly 1 + attempts tries, or after 1 for a non-retriable error', async () => {
    const { id, hooks: h } = newRun();
    const topology = await fileTopology(id, ['ok', 'flaky', 'ok', 'down', 'bad', 'ok'], '{ attempts: 3, backoff: 1ms, max-backoff: 2ms }');
    const broker = new EmbeddedBroker();
    const transport = createEmbeddedTransport(broker);
    const logs = captureLogs('warn');
    const run = await TopologyRun.start({ topology, transport, logger: logs.logger });
    const report = await run.done;

    expect(report.failed).toEqual([]);
    expect(ids(readFileSync(join(topology.dir, 'out.ndjson'), 'utf8'))).toEqual([1, 2, 3, 6]);
    expect(Object.fromEntries(h.calls)).toEqual({ 1: 1, 2: 3, 3: 1, 4: 4, 5: 1, 6: 1 });
    expect(report.stages[0]).toMatchObject({ node: 'call', read: 6, written: 4, deadLettered: 2, retried: 2 + 3 });

    const dead = await readTopic(broker, transport, 'calls.dlq');
    const header = (i: number, name: string) => String(dead[i]!.headers[`sluice.dlq.${name}`]);
    expect(dead.map((d) => (JSON.parse(d.value!.toString()) as { id: number }).id)).toEqual([4, 5]);
    expect([header(0, 'error.code'), header(0, 'attempts')]).toEqual([ErrorCodes.TIMEOUT, '4']);
    expect([header(1, 'error.code'), header(1, 'attempts')]).toEqual([ErrorCodes.PROCESSOR, '1']);

    const lines = logs.lines();
    const retries = lines.filter((l) => l.msg === 'record failed with a retriable error; retrying');
    expect(retries.map((l) => [l.level, l.code, l.attempt, l.line])).toEqual([
      [40, ErrorCodes.PROCESSOR, 1, 2],
      [40, ErrorCodes.PROCESSOR, 2, 2],
      [40, ErrorCodes.TIMEOUT, 1, 4],
      [40, ErrorCodes.TIMEOUT, 2, 4],
      [40, ErrorCodes.TIMEOUT, 3, 4],
    ]);
    for (const l of retries) expect(typeof l.delayMs, JSON.stringify(l)).toBe('number');
    const deadLogs = lines.filter((l) => l.msg === 'record dead-lettered');
    expect(deadLogs.map((l) => [l.level, l.code, l.stage, l.line, l.attempts])).toEqual([
      [40, ErrorCodes.TIMEOUT, 'call', 4, 4],
      [40, ErrorCodes.PROCESSOR, 'call', 5, 1],
    ]);
    // No stack trace at warn: the code and the place say what and where.
    for (const l of deadLogs) expect(l.err, JSON.stringify(l)).toBeUndefined();
    await transport.close();
  });

  it('logs the dead letter with its stack at debug', async () => {
    const { id } = newRun();
    const topology = await fileTopology(id, ['bad'], '0');
    const transport = createEmbeddedTransport(new EmbeddedBroker());
    const logs = captureLogs('debug');
    await (await TopologyRun.start({ topology, transport, logger: logs.logger })).done;
    const dead = logs.lines().find((l) => l.msg === 'record dead-lettered')!;
    expect(dead.code).toBe(ErrorCodes.PROCESSOR);
    expect((dead.err as { stack: string }).stack).toContain('bad record');
    await transport.close();
  });

  it('`retries: 0` dead-letters a retriable failure at once', async () => {
    const { id, hooks: h } = newRun();
    const topology = await fileTopology(id, ['flaky', 'ok'], '0');
    const transport = createEmbeddedTransport(new EmbeddedBroker());
    const report = await (await TopologyRun.start({ topology, transport, logger: silentLogger })).done;
    expect(Object.fromEntries(h.calls)).toEqual({ 1: 1, 2: 1 });
    expect(report.stages[0]).toMatchObject({ written: 1, deadLettered: 1, retried: 0 });
    await transport.close();
  });

  it('a stop during a retry lets the retry finish: the record is delivered, not dead-lettered', async () => {
    const { id, hooks: h } = newRun();
    const topology = await fileTopology(id, ['ok', 'held', 'ok'], '{ attempts: 10, backoff: 1ms, max-backoff: 1ms }');
    const transport = createEmbeddedTransport(new EmbeddedBroker());
    let run: TopologyRun | undefined;
    const stopped = new Promise<void>((resolve) => {
      h.onCall = (rec, call) => {
        if (rec !== 2) return;
        // Stop while record 2 is being retried (its second try fails too); its third try succeeds.
        if (call === 2) {
          run!.stop();
          resolve();
        }
        if (call === 3) h.released = true;
      };
    });
    run = await TopologyRun.start({ topology, transport, logger: silentLogger });
    await stopped;
    const report = await run.done;
    expect(report.failed).toEqual([]);
    expect(ids(readFileSync(join(topology.dir, 'out.ndjson'), 'utf8')).slice(0, 2)).toEqual([1, 2]);
    expect(report.stages[0]).toMatchObject({ deadLettered: 0, retried: 2 });
    await transport.close();
  });

  it('a crash during a retry commits nothing past the record; the next run delivers it and every later record once', async () => {
    const { id, hooks: h } = newRun();
    const file = writeTopology({
      'processors/call.ts': processor,
      'none.ndjson': '',
      'topology.yaml': `
name: retries-topic
topics:
  in: { codec: json }
  out: { codec: json }
nodes:
  feed: { source: { file: ./none.ndjson }, to: in }
  call:
    from: in
    process:
      - map: { module: ./processors/call.ts }
    to: out
    dead-letter: calls.dlq
    retries: { attempts: 5, backoff: 10s, max-backoff: 10s }
`,
    });
    const topology = await loadTopology(file);
    const broker = new EmbeddedBroker();
    const transport = createEmbeddedTransport(broker);
    await transport.createTopics(['in', 'out', 'calls.dlq'].map((name) => ({ name, partitions: 1 })));
    const modes = ['ok', 'ok', 'held', 'ok', 'ok'];
    const producer = await transport.producer();
    await producer.send(modes.map((mode, i) => ({ topic: 'in', key: null, value: JSON.stringify({ id: i + 1, mode, run: id }) })));
    await producer.close();

    const first = await TopologyRun.start({ topology, transport, logger: silentLogger, nodes: ['call'], untilCaughtUp: false, commitIntervalMs: 1 });
    const retrying = new Promise<void>((resolve) => (h.onCall = (rec, call) => rec === 3 && call === 1 && setImmediate(resolve)));
    await retrying;
    // Record 3 now waits 10 s for its first retry: the crash must cut that wait short.
    first.stages[0]!.crash('test: crash during a retry');
    const crashed = await first.done;
    expect(crashed.failed.map((f) => f.node)).toEqual(['call']);
    expect((await readTopic(broker, transport, 'calls.dlq')).length).toBe(0);
    const callsBefore = h.calls.get(3)!;

    h.released = true;
    h.onCall = undefined;
    const second = await TopologyRun.start({ topology, transport, logger: silentLogger, nodes: ['call'], untilCaughtUp: true });
    const report = await second.done;
    expect(report.failed).toEqual([]);
    const out = (await readTopic(broker, transport, 'out')).map((r) => (JSON.parse(r.value!.toString()) as { id: number }).id);
    // Independently: every input once at least, in input order from where the committed prefix ended.
    expect(new Set(out)).toEqual(new Set([1, 2, 3, 4, 5]));
    const firstThree = out.indexOf(3);
    expect(out.slice(firstThree)).toEqual([3, 4, 5]);
    expect(h.calls.get(3)).toBe(callsBefore + 1);
    expect((await readTopic(broker, transport, 'calls.dlq')).length).toBe(0);
    await transport.close();
  });
});
