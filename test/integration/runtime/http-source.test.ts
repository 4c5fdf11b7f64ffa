import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/index.ts';
import { TopologyRun } from '../../../src/runtime/index.ts';
import { loadTopology } from '../../../src/topology/index.ts';
import { createEmbeddedTransport, createSourceStream, EmbeddedBroker } from '../../../src/transport/index.ts';
import { HttpSource } from '../../../src/runtime/sources/http.ts';
import type { Envelope } from '../../../src/runtime/envelope.ts';
import { freePort, ingestTopology, postNdjson } from './http-client.ts';

describe('http ingest source', () => {
  it('answers a POST only after its records are acknowledged downstream, dead-lettering bad lines', async () => {
    const port = await freePort();
    const file = ingestTopology('ingest', port, { partitions: 2, nodes: '    dead-letter: events.dlq\n' });
    const broker = new EmbeddedBroker();
    const transport = createEmbeddedTransport(broker);
    const run = await TopologyRun.start({ topology: await loadTopology(file), transport, logger: silentLogger, untilCaughtUp: false });

    const ndjson = { 'content-type': 'application/x-ndjson' };
    const wrong = await fetch(`http://127.0.0.1:${port}/other`, { method: 'POST', headers: ndjson, body: '{}' });
    expect(wrong.status).toBe(404);
    const res = await fetch(`http://127.0.0.1:${port}/events`, { method: 'POST', headers: ndjson, body: '{"a":1}\n{not json\n\n{"a":2}\n' });
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

  it('stops all or nothing per request: one part-way through its records finishes them, one still sending its body gets 503 and adds none', async () => {
    const source = new HttpSource({ port: 0, path: '/in', logger: silentLogger });
    await source.listening();
    // Nothing reads the stream yet: after its high-water mark (256) the first request waits part-way through its 300 lines.
    const lines = Array.from({ length: 300 }, (_, i) => JSON.stringify({ i })).join('\n') + '\n';
    const first = postNdjson(source.port, '/in', lines);
    await expect.poll(() => source.readableLength).toBe(256);

    // The second one's headers are in (the server's 100 Continue says so) when the stop comes; its body after.
    const socket = connect(source.port, '127.0.0.1');
    let second = '';
    socket.on('data', (c: Buffer) => (second += c.toString()));
    const body = '{"late":1}\n{"late":2}\n';
    socket.write(`POST /in HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-ndjson\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`);
    await expect.poll(() => second).toContain('100 Continue');
    source.stop();
    socket.end(body);
    await new Promise((r) => socket.once('close', r));
    second = second.slice(second.indexOf('\r\n\r\n') + 4);
    expect(second).toMatch(/^HTTP\/1\.1 503 /);
    expect(second).toContain('SLUICE_ERR_SHUTDOWN');

    const read: unknown[] = [];
    for await (const envelope of source as AsyncIterable<Envelope>) {
      read.push(envelope.record.value);
      envelope.token!.done();
    }
    expect(read).toHaveLength(300);
    expect(read.every((v) => !String(v).includes('late'))).toBe(true);
    expect(await first).toMatchObject({ status: 200, text: expect.stringContaining('"accepted": 300') });
  });
});
