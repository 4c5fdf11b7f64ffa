/**
 * For tests of HTTP sources: a free port, a topology around one, a POST of
 * ndjson through node:http (which, unlike fetch, sends any body as given),
 * and what a topic holds.
 */
import { request } from 'node:http';
import { createServer } from 'node:net';
import { kafka, uniqueName, withAdmin } from '../harness/kafka.ts';
import { writeTopology } from './examples.ts';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

export interface Answer {
  status: number;
  text: string;
}

export function postNdjson(port: number, path: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path, headers: { 'content-type': 'application/x-ndjson', ...headers } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A topology `name` whose node `receive` takes POSTs on `port` at /events into
 * topic `events`; `http` adds settings to the source, `topics` lines to that
 * section, `nodes` lines after `receive` (more of its keys, or more nodes).
 */
export function ingestTopology(name: string, port: number, more: { partitions?: number; http?: string; topics?: string; nodes?: string } = {}): string {
  return writeTopology({
    'topology.yaml': `
name: ${name}
topics:
  events: { partitions: ${more.partitions ?? 1} }
${more.topics ?? ''}nodes:
  receive:
    source: { http: { port: ${port}, path: /events${more.http ?? ''} } }
    to: events
${more.nodes ?? ''}`,
  });
}

/** Every value in a Kafka topic up to its end offsets now, parsed as JSON, in partition order. */
export async function readTopic<T>(topic: string): Promise<T[]> {
  const ends = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
  const total = ends.reduce((n, p) => n + Number(p.high), 0);
  const values: T[] = [];
  if (total === 0) return values;
  const consumer = kafka().consumer({ groupId: uniqueName('verify') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          values.push(JSON.parse(message.value!.toString()) as T);
          if (values.length === total) resolve();
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return values;
}
