import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/index.ts';
import { TopologyRun } from '../../../src/runtime/index.ts';
import { loadTopology } from '../../../src/topology/index.ts';
import { createEmbeddedTransport, createSourceStream, EmbeddedBroker } from '../../../src/transport/index.ts';
import { writeTopology } from './examples.ts';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe('http ingest source', () => {
  it('answers a POST only after its records are acknowledged downstream, dead-lettering bad lines', async () => {
    const port = await freePort();
    const file = writeTopology({
      'topology.yaml': `
name: ingest
topics:
  events: { partitions: 2 }
nodes:
  receive:
    source: { http: { port: ${port}, path: /events } }
    to: events
    dead-letter: events.dlq
`,
    });
    const broker = new EmbeddedBroker();
    const transport = createEmbeddedTransport(broker);
    const run = await TopologyRun.start({ topology: await loadTopology(file), transport, logger: silentLogger, untilCaughtUp: false });

    const wrong = await fetch(`http://127.0.0.1:${port}/other`, { method: 'POST', body: '{}' });
    expect(wrong.status).toBe(404);
    const res = await fetch(`http://127.0.0.1:${port}/events`, { method: 'POST', body: '{"a":1}\n{not json\n\n{"a":2}\n' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 3 });
    // By the time the client has its answer, the records are in the topic.
    expect(run.stages[0]!.report()).toMatchObject({ read: 3, written: 2, deadLettered: 1 });

    run.stop();
    await run.done;
    const consumer = await transport.consumer({ groupId: 'check', topics: ['events'], fromBeginning: true });
    const stream = await createSourceStream(consumer);
    const values: string[] = [];
    for await (const r of stream) {
      values.push((r as { value: Buffer }).value.toString());
      if (values.length === 2) break;
    }
    expect(values.sort()).toEqual(['{"a":1}', '{"a":2}']);
    await transport.close();
  });
});
