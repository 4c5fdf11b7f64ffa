/**
 * A "broker" that answers every request with 0xff bytes, as a user meets one
 * when --brokers names the wrong port: each command that reaches the cluster
 * exits non-zero within seconds with one line that names the address and a
 * stable code, and no stack trace (kafkajs' parser used to throw a TypeError
 * inside a socket event and kill the process; @platformatic/kafka retried the
 * lost connection for minutes), on either Kafka client.
 */
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaClients, type KafkaClient } from '../../../src/transport/index.ts';

const bin = fileURLToPath(new URL('../../../bin/sluice.js', import.meta.url));
const topology = fileURLToPath(new URL('../../../topologies/word-count/topology.yaml', import.meta.url));

let server: Server;
let address: string;

beforeAll(async () => {
  server = createServer((socket) => {
    socket.on('data', () => socket.write(Buffer.alloc(64, 0xff)));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

function sluice(client: KafkaClient, args: string[], input = ''): Promise<{ code: number | null; stderr: string; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, SLUICE_LOG_LEVEL: 'silent', SLUICE_KAFKA_CLIENT: client } });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout.resume();
  child.stdin.end(input);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr, ms: Date.now() - started })));
}

describe.each(kafkaClients)('a listener that is not a Kafka broker, on %s', (client) => {
  it.each([
    ['run', () => ['run', topology, '--brokers', address, '--port', '0']],
    ['status', () => ['status', topology, '--brokers', address]],
    ['topics', () => ['topics', topology, '--brokers', address, '--check']],
    ['publish', () => ['publish', '--brokers', address, '--topic', 'words']],
  ])('sluice %s exits non-zero with one line naming the address and SLUICE_ERR_BROKER_PROTOCOL', async (_name, args) => {
    const { code, stderr, ms } = await sluice(client, args(), '{"word":"a"}\n');
    expect(code).not.toBe(0);
    expect(stderr).not.toMatch(/TypeError|\n\s+at /);
    const lines = stderr.split('\n').filter((l) => l.startsWith('sluice:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${address} does not speak the Kafka protocol`);
    expect(lines[0]).toMatch(/\[SLUICE_ERR_BROKER_PROTOCOL\]$/);
    // kafkajs alone retries a seed broker for 10-20 s; Node and tsx start in 2-4 s on this machine.
    expect(ms).toBeLessThan(15_000);
  });
});
