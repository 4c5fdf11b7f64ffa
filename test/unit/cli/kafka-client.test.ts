/**
 * Which Kafka client library a command's clients use: `--kafka-client`, else
 * SLUICE_KAFKA_CLIENT, else the topology's `kafka.client`, else the default;
 * an unknown name is refused wherever it was written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionOf } from '../../../src/cli/commands/kafka-security.ts';
import { DEFAULT_KAFKA_CLIENT } from '../../../src/transport/index.ts';
import { loadTopology, type Topology } from '../../../src/topology/index.ts';
import { Workspace } from '../topology/helpers.ts';
import { runCli } from './cli-harness.ts';

let ws: Workspace;
let withClient: Topology;
let without: Topology;
beforeAll(async () => {
  ws = await Workspace.create();
  const file = (client: string) => `name: pick\n${client}topics:\n  a: {}\nnodes:\n  copy: { from: a, to: b }\n`;
  withClient = await loadTopology(await ws.write('with.yaml', file('kafka: { brokers: "127.0.0.1:1", client: platformatic }\n')));
  without = await loadTopology(await ws.write('without.yaml', file('kafka: { brokers: "127.0.0.1:1" }\n')));
});
afterAll(() => ws.remove());

const quiet = () => undefined;

describe('the Kafka client of a command', () => {
  it('is the flag, else the environment, else the file, else the default', () => {
    expect(connectionOf({ kafkaClient: 'kafkajs' }, withClient, { SLUICE_KAFKA_CLIENT: 'platformatic' }, quiet).client).toBe('kafkajs');
    expect(connectionOf({}, without, { SLUICE_KAFKA_CLIENT: 'platformatic' }, quiet).client).toBe('platformatic');
    expect(connectionOf({}, withClient, {}, quiet).client).toBe('platformatic');
    expect(connectionOf({}, without, {}, quiet).client).toBe(DEFAULT_KAFKA_CLIENT);
    expect(connectionOf({}, undefined, { SLUICE_KAFKA_CLIENT: '' }, quiet).client).toBe(DEFAULT_KAFKA_CLIENT);
  });

  it('refuses an unknown name in the environment, saying where it came from', () => {
    expect(() => connectionOf({}, withClient, { SLUICE_KAFKA_CLIENT: 'rdkafka' }, quiet)).toThrow(/unknown Kafka client `rdkafka` \(SLUICE_KAFKA_CLIENT\): one of kafkajs, platformatic/);
  });

  it('refuses an unknown name in a topology at its line and column', async () => {
    const r = await ws.validate('name: pick\nkafka: { brokers: "127.0.0.1:1", client: rdkafka }\ntopics:\n  a: {}\nnodes:\n  copy: { from: a, to: b }\n');
    expect(r.problems.map((p) => `${p.line}:${p.column} ${p.message}`).join('\n')).toMatch(/^2:\d+ .*kafkajs.*platformatic/);
  });

  it('refuses an unknown --kafka-client as a usage error', async () => {
    const r = await runCli('topics', await ws.write('t.yaml', 'name: t\ntopics:\n  a: {}\nnodes:\n  copy: { from: a, to: b }\n'), '--check', '--brokers', '127.0.0.1:1', '--kafka-client', 'rdkafka');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Allowed choices are kafkajs, platformatic");
  });
});
