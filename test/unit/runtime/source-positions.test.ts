/**
 * File and counted generator sources remember how far they got in their
 * `<topology>.<node>.source-offsets` topic: run again on the same broker
 * (here the embedded one, which keeps it for the life of the process), they
 * publish only what is new; a replaced or truncated file is read again from
 * its start, and `fromStart` reads it again on purpose.
 */
import { appendFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/index.ts';
import { TopologyRun } from '../../../src/runtime/index.ts';
import type { Envelope } from '../../../src/runtime/envelope.ts';
import { AvroFileSink } from '../../../src/runtime/sinks/avro-file.ts';
import { decodePosition } from '../../../src/runtime/sources/position.ts';
import { loadTopology, type Topology } from '../../../src/topology/index.ts';
import { EmbeddedBroker, createEmbeddedTransport, type Transport } from '../../../src/transport/index.ts';
import { writeTopology } from '../../integration/runtime/examples.ts';
import { readTopic } from './embedded-topic.ts';

interface Bench {
  topology: Topology;
  broker: EmbeddedBroker;
  transport: Transport;
  input: string;
  /** Runs the topology to its end; returns the stages' `read` counts by node. */
  run(options?: { fromStart?: boolean }): Promise<Record<string, number>>;
  values(topic: string): Promise<unknown[]>;
}

async function bench(files: Record<string, string>): Promise<Bench> {
  const file = writeTopology(files);
  const topology = await loadTopology(file);
  const broker = new EmbeddedBroker();
  const transport = createEmbeddedTransport(broker);
  return {
    topology,
    broker,
    transport,
    input: join(topology.dir, 'data/in.ndjson'),
    async run(options = {}) {
      const report = await (await TopologyRun.start({ topology, transport, logger: silentLogger, commitIntervalMs: 50, ...options })).done;
      expect(report.failed).toEqual([]);
      return Object.fromEntries(report.stages.map((s) => [s.node, s.read]));
    },
    values: async (topic) => (await readTopic(broker, transport, topic)).map((r) => JSON.parse(r.value!.toString()) as unknown),
  };
}

const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `{"n":${from + i}}\n`).join('');
const ns = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => ({ n: from + i }));

const fileToTopic = {
  'topology.yaml': `
name: feed
topics:
  out: { codec: json }
nodes:
  load:
    source: { file: ./data/in.ndjson }
    to: out
`,
  'data/in.ndjson': lines(1, 5),
};

describe('a file source on the same broker', () => {
  it('publishes each line once over runs, and only the lines appended since the last run', async () => {
    const b = await bench(fileToTopic);
    expect(await b.run()).toEqual({ load: 5 });
    expect(await b.run()).toEqual({ load: 0 });
    appendFileSync(b.input, lines(6, 8) + 'not json\n');
    expect(await b.run()).toEqual({ load: 4 });
    expect(await b.values('out')).toEqual(ns(1, 8));
    // Line numbers go on from the stored position: the bad line is line 9 of the file.
    const dead = await readTopic(b.broker, b.transport, 'feed.load.dlq');
    expect(dead.map((d) => d.headers['sluice.dlq.original.line']?.toString())).toEqual(['9']);
    const stored = await readTopic(b.broker, b.transport, 'feed.load.source-offsets');
    expect(stored.at(-1)!.key!.toString()).toBe(b.input);
    expect(decodePosition(stored.at(-1)!.value!)).toMatchObject({ ok: true, position: { next: readFileSync(b.input).length, line: 9 } });
  });

  it('stopped gracefully mid-file, stores where it got, and the next run publishes the rest: every line once', async () => {
    const b = await bench({ ...fileToTopic, 'data/in.ndjson': lines(1, 50_000) });
    const run = await TopologyRun.start({ topology: b.topology, transport: b.transport, logger: silentLogger, commitIntervalMs: 50 });
    // Stop as soon as the first records reach the topic: the source is then far from the end of the file.
    const unlisten = b.broker.onAppend((topic) => {
      if (topic === 'out') {
        unlisten();
        run.stop();
      }
    });
    const first = await run.done;
    expect(first.failed).toEqual([]);
    const read = first.stages[0]!.read;
    expect(read).toBeLessThan(50_000);
    const stored = (await readTopic(b.broker, b.transport, 'feed.load.source-offsets')).at(-1)!;
    expect(decodePosition(stored.value!)).toMatchObject({ ok: true, position: { line: read } });
    expect(await b.run()).toEqual({ load: 50_000 - read });
    expect(await b.values('out')).toEqual(ns(1, 50_000));
  });

  it('reads a replaced (rotated) file from its start', async () => {
    const b = await bench(fileToTopic);
    await b.run();
    renameSync(b.input, `${b.input}.1`);
    writeFileSync(b.input, lines(101, 107));
    expect(await b.run()).toEqual({ load: 7 });
    expect(await b.values('out')).toEqual([...ns(1, 5), ...ns(101, 107)]);
  });

  it('reads a truncated file, and one rewritten in place, from its start', async () => {
    const b = await bench(fileToTopic);
    await b.run();
    writeFileSync(b.input, lines(201, 202));
    expect(await b.run()).toEqual({ load: 2 });
    // Same inode, as long as before, other first bytes.
    writeFileSync(b.input, lines(301, 304));
    expect(await b.run()).toEqual({ load: 4 });
    expect(await b.values('out')).toEqual([...ns(1, 5), ...ns(201, 202), ...ns(301, 304)]);
  });

  it('reads the whole file again with fromStart, and goes on from there next time', async () => {
    const b = await bench(fileToTopic);
    await b.run();
    expect(await b.run({ fromStart: true })).toEqual({ load: 5 });
    expect(await b.run()).toEqual({ load: 0 });
    expect(await b.values('out')).toEqual([...ns(1, 5), ...ns(1, 5)]);
  });
});

describe('an Avro container file source on the same broker', () => {
  it('publishes the records appended since the last run only', async () => {
    const schema = { type: 'record', name: 'N', fields: [{ name: 'n', type: 'int' }] };
    const b = await bench({
      'topology.yaml': `
name: feed
schemas: { N: ./n.avsc }
topics:
  out: { codec: json }
nodes:
  load:
    source: { file: ./data/in.avro }
    to: out
`,
      'n.avsc': JSON.stringify(schema),
    });
    const file = join(b.topology.dir, 'data/in.avro');
    const append = (values: unknown[]) =>
      pipeline(
        Readable.from(values.map((value): Envelope => ({ record: { key: null, value, headers: {}, timestamp: 0 }, token: undefined, origin: { rawKey: null, rawValue: null, rawHeaders: {}, timestamp: 0 } }))),
        new AvroFileSink({ path: file, type: avro.Type.forSchema(schema as avro.Schema), logger: silentLogger, onError: (e) => Promise.reject(e) }),
      );
    await append(ns(1, 3));
    expect(await b.run()).toEqual({ load: 3 });
    await append(ns(4, 6));
    expect(await b.run()).toEqual({ load: 3 });
    expect(await b.values('out')).toEqual(ns(1, 6));
  });
});

describe('a generator with a count', () => {
  it('produces its count once over runs, and the difference when the count grows', async () => {
    const files = (count: number) => ({
      'topology.yaml': `
name: gen
schemas: { N: ./n.avsc }
topics:
  out: { codec: json }
nodes:
  make:
    source: { generator: { schema: N, count: ${count} } }
    to: out
`,
      'n.avsc': JSON.stringify({ type: 'record', name: 'N', fields: [{ name: 'n', type: 'int' }] }),
    });
    const b = await bench(files(4));
    expect(await b.run()).toEqual({ make: 4 });
    expect(await b.run()).toEqual({ make: 0 });
    const grown = await loadTopology(writeTopology(files(6)));
    const report = await (await TopologyRun.start({ topology: grown, transport: b.transport, logger: silentLogger })).done;
    expect(report.stages.map((s) => s.read)).toEqual([2]);
    expect(await b.values('out')).toHaveLength(6);
  });
});
