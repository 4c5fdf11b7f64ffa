/**
 * Where the brokers come from: `--brokers`, KAFKA_BROKERS, the file's
 * `kafka.brokers`. A list that names no broker must never quietly mean the
 * embedded transport.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { brokersOf, requireBrokers } from '../../../src/cli/commands/cluster.ts';
import { ErrorCodes } from '../../../src/core/index.ts';
import { loadTopology, type Topology } from '../../../src/topology/index.ts';
import { Workspace } from '../topology/helpers.ts';
import { runCli } from './cli-harness.ts';

const topologyFile = 'topologies/word-count/topology.yaml';
const usage = expect.objectContaining({ code: ErrorCodes.CLI_USAGE });
let saved: string | undefined;

beforeEach(() => {
  saved = process.env.KAFKA_BROKERS;
  delete process.env.KAFKA_BROKERS;
});

afterEach(() => {
  if (saved === undefined) delete process.env.KAFKA_BROKERS;
  else process.env.KAFKA_BROKERS = saved;
});

describe('brokersOf', () => {
  let withFile: Topology;
  let without: Topology;

  beforeEach(async () => {
    withFile = await loadTopology(topologyFile, { env: {} });
    without = withFile;
    withFile = { ...withFile, kafka: { brokers: ['file:9092'], ssl: false } };
  });

  it('takes the flag, else KAFKA_BROKERS, else the file, else none (embedded)', () => {
    expect(brokersOf('a:1, b:2', withFile, { KAFKA_BROKERS: 'env:1' })).toEqual(['a:1', 'b:2']);
    expect(brokersOf(undefined, withFile, { KAFKA_BROKERS: 'env:1' })).toEqual(['env:1']);
    expect(brokersOf(undefined, withFile, {})).toEqual(['file:9092']);
    expect(brokersOf(undefined, without, {})).toBeUndefined();
  });

  it.each(['', ' ', ' , ', ',,'])('refuses --brokers %j: it names no broker', (flag) => {
    expect(() => brokersOf(flag, without, {})).toThrow(usage);
    expect(() => brokersOf(flag, withFile, { KAFKA_BROKERS: 'env:1' })).toThrow(/--brokers .* names no broker/);
  });

  it('reads an empty or blank KAFKA_BROKERS as unset (a shell export left empty), and refuses one that names no broker', () => {
    expect(brokersOf(undefined, without, { KAFKA_BROKERS: '' })).toBeUndefined();
    expect(brokersOf(undefined, withFile, { KAFKA_BROKERS: '  ' })).toEqual(['file:9092']);
    expect(() => brokersOf(undefined, without, { KAFKA_BROKERS: ' , ' })).toThrow(/KAFKA_BROKERS .* names no broker/);
  });

  it('requireBrokers refuses none, naming where brokers come from', () => {
    expect(() => requireBrokers(undefined, without, 'status', {})).toThrow(/sluice status reads a Kafka cluster: give --brokers \(or KAFKA_BROKERS, or kafka.brokers in/);
    expect(() => requireBrokers(undefined, undefined, 'publish', { KAFKA_BROKERS: '' })).toThrow(/sluice publish reads a Kafka cluster: give --brokers \(or KAFKA_BROKERS\)/);
    expect(requireBrokers(undefined, undefined, 'publish', { KAFKA_BROKERS: 'k:9092' })).toEqual(['k:9092']);
  });
});

describe('every command taking --brokers refuses an empty list, before it connects or runs anything', () => {
  it.each([
    ['run', topologyFile],
    ['status', topologyFile],
    ['topics', topologyFile, '--check'],
    ['publish', '--topic', 't'],
  ])('%s', async (...args) => {
    for (const flag of ['', ' , ']) {
      const r = await runCli(...args, '--brokers', flag);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`sluice: --brokers \`${flag}\` names no broker: give host:port[,host:port], or leave the flag out [SLUICE_ERR_CLI_USAGE]`);
    }
  });
});

describe('kafka.brokers in a topology file', () => {
  it('that names no broker is a topology error at its position', async () => {
    const ws = await Workspace.create();
    try {
      // A string is placed at its value; a list, as any whole mapping or list zod refuses, at its key.
      for (const [brokers, column] of [['" , "', 19], ['"${KAFKA_HOSTS:-,}"', 19], ['[" "]', 10]] as const) {
        const r = await ws.validate(`name: t\nkafka: { brokers: ${brokers} }\nnodes:\n  a: { source: { stdin: true }, sink: { stdout: true } }\n`);
        expect(r.problems.map((p) => `${p.code} ${p.line}:${p.column} ${p.message}`)).toEqual([
          `${ErrorCodes.TOPOLOGY_INVALID} 2:${column} the broker list names no broker; give host:port[,host:port]`,
        ]);
      }
    } finally {
      await ws.remove();
    }
  });
});
