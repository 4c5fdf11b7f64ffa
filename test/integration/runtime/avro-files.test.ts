import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/index.ts';
import { TopologyRun } from '../../../src/runtime/index.ts';
import { loadTopology } from '../../../src/topology/index.ts';
import { createEmbeddedTransport, EmbeddedBroker } from '../../../src/transport/index.ts';
import { writeTopology } from './examples.ts';

const schema = {
  type: 'record',
  name: 'Reading',
  fields: [
    { name: 'sensor', type: 'string' },
    { name: 'celsius', type: 'double' },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
  ],
};

describe('Avro container files', () => {
  it('a stage writes an .avro file that another stage reads back into the same records', async () => {
    const input = Array.from({ length: 500 }, (_, i) => ({ sensor: `s${i % 7}`, celsius: i / 4, at: 1_704_067_200_000 + i * 1000 }));
    const file = writeTopology({
      'schemas/reading.avsc': JSON.stringify(schema),
      'data/in.ndjson': input.map((r) => JSON.stringify({ ...r, at: new Date(r.at).toISOString() })).join('\n'),
      'topology.yaml': `
name: avro-files
schemas: { Reading: ./schemas/reading.avsc }
topics:
  readings: { partitions: 1, schema: Reading, codec: avro }
nodes:
  load:
    source: { file: ./data/in.ndjson, schema: Reading }
    to: readings
  store:
    from: readings
    sink: { file: ./out/readings.avro, schema: Reading }
`,
    });
    const dir = dirname(file);
    const transport = createEmbeddedTransport(new EmbeddedBroker());
    const first = await TopologyRun.start({ topology: await loadTopology(file), transport, logger: silentLogger });
    expect((await first.done).failed).toEqual([]);
    expect(readFileSync(join(dir, 'out/readings.avro')).subarray(0, 4).toString('latin1')).toBe('Obj\u0001');

    const back = writeTopology({
      'schemas/reading.avsc': JSON.stringify(schema),
      'topology.yaml': `
name: avro-back
schemas: { Reading: ./schemas/reading.avsc }
nodes:
  read:
    source: { file: ${JSON.stringify(join(dir, 'out/readings.avro'))} }
    sink: { file: ./out/readings.ndjson }
`,
    });
    const second = await TopologyRun.start({ topology: await loadTopology(back, { root: '/' }), transport, logger: silentLogger });
    expect((await second.done).failed).toEqual([]);
    const lines = readFileSync(join(dirname(back), 'out/readings.ndjson'), 'utf8').trim().split('\n');
    const got = lines.map((l) => JSON.parse(l) as { sensor: string; celsius: number; at: string });
    expect(got.map((r) => ({ ...r, at: Date.parse(r.at) }))).toEqual(input);
  });
});
