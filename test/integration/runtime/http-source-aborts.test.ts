/**
 * Clients that give up part-way never hurt an HTTP source stage, on the real
 * broker with the coordinator running the stage in a worker thread (where 5
 * aborted bodies in ~10 s used to crash it 5 times: FAILED, port closed,
 * /health 503). Bodies aborted in the middle, bodies and headers not finished
 * within the request timeout: each fails its own request, none of its records
 * (not even its complete lines) enters the topic, and the stage goes on
 * serving without a crash.
 */
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import type { Coordinator } from '../../../src/coordinator/index.ts';
import { uniqueName } from '../harness/kafka.ts';
import { startCoordinator, stopCoordinator, until } from '../coordinator/helpers.ts';
import { freePort, ingestTopology, postNdjson, readTopic } from './http-client.ts';

let coordinator: Coordinator | undefined;
afterAll(() => stopCoordinator(coordinator));

/** Writes `text` on a fresh connection; resolves with what the server sent before it closed. */
function rawRequest(port: number, text: string, abortAfterMs?: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (c: Buffer) => (answer += c.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
    socket.write(text, () => {
      if (abortAfterMs !== undefined) void sleep(abortAfterMs).then(() => socket.destroy());
    });
  });
}

function head(port: number, length: number): string {
  return `POST /events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/x-ndjson\r\nContent-Length: ${length}\r\n\r\n`;
}

describe('http source and clients that give up', () => {
  it('fails each aborted or timed-out request alone: nothing of it injected, no crash, the stage serving', async () => {
    const port = await freePort();
    const file = ingestTopology('ingest-aborts', port, { http: ', request-timeout: 1s' });
    const namespace = `${uniqueName('aborts')}.`;
    coordinator = await startCoordinator(file, namespace);
    const c = coordinator;
    await until('the http source listens', async () => ((await postNdjson(port, '/events', '')).status === 200 ? true : undefined), 60_000, 200);

    // Complete lines, then a cut: none of them may be taken.
    for (let i = 0; i < 6; i++) {
      const answer = await rawRequest(port, head(port, 1_000) + `{"id":"aborted-${i}"}\n{"id":"aborted-${i}b"}\n{"id":`, 100);
      expect(answer).toBe('');
    }
    // A body, then headers, left unfinished: the request timeout answers 408 and closes.
    const slowBody = await rawRequest(port, head(port, 1_000) + '{"id":"slow"}\n');
    expect(slowBody).toMatch(/^HTTP\/1\.1 408 /);
    const slowHeaders = await rawRequest(port, `POST /events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
    expect(slowHeaders).toMatch(/^HTTP\/1\.1 408 /);

    const good = await postNdjson(port, '/events', '{"id":"good-1"}\n{"id":"good-2"}\n{"id":"good-3"}\n');
    expect(good).toMatchObject({ status: 200, text: expect.stringContaining('"accepted": 3') });

    const instance = c.instances('receive')[0]!;
    expect({ state: instance.state, crashes: instance.crashes }).toEqual({ state: 'running', crashes: 0 });
    const health = await fetch(`${c.http!.url}/health`);
    expect(health.status).toBe(200);

    // The topic holds the three good records and nothing else.
    const ids = (await readTopic<{ id: string }>(`${namespace}events`)).map((v) => v.id);
    expect(ids).toEqual(['good-1', 'good-2', 'good-3']);
  });
});
