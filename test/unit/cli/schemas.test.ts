/**
 * `sluice schemas check --namespace demo1` checks the subjects a run under
 * that namespace registers (`demo1.orders-value`), not those of the topology
 * as written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/core/index.ts';
import { writeTopology } from '../../integration/runtime/examples.ts';
import { startFakeRegistry, type FakeRegistry } from '../runtime/registry/fake-registry.ts';
import { runCli } from './cli-harness.ts';

const v1 = { type: 'record', name: 'Order', fields: [{ name: 'id', type: 'int' }] };
const v2 = { ...v1, fields: [...v1.fields, { name: 'site', type: 'string' }] };

const file = () =>
  writeTopology({
    'schemas/order.avsc': JSON.stringify(v2),
    'none.ndjson': '',
    'topology.yaml': `
name: shop
schemas: { Order: ./schemas/order.avsc }
topics:
  orders: { schema: Order, codec: avro-confluent }
nodes:
  feed: { source: { file: ./none.ndjson }, to: orders }
`,
  });

let registry: FakeRegistry;

beforeAll(async () => {
  registry = await startFakeRegistry();
  // Only the namespaced run's subject has a version, and the registry refuses the new field under it.
  const registered = await fetch(`${registry.url}/subjects/demo1.orders-value/versions`, { method: 'POST', body: JSON.stringify({ schema: JSON.stringify(v1) }) });
  expect(registered.status).toBe(200);
  registry.reject('"site"', 'site has no default');
});

afterAll(() => registry.close());

describe('sluice schemas check --namespace', () => {
  it('checks the subjects of the topics as the namespaced run names them', async () => {
    for (const given of ['demo1', 'demo1.']) {
      const { code, stdout, stderr } = await runCli('schemas', 'check', file(), '--schema-registry', registry.url, '--namespace', given);
      expect(stdout, stderr).toBe('demo1.orders (subject demo1.orders-value, schema Order): INCOMPATIBLE: site has no default\n');
      expect(code).toBe(1);
    }
    const plain = await runCli('schemas', 'check', file(), '--schema-registry', registry.url);
    expect(plain.stdout, plain.stderr).toBe('orders (subject orders-value, schema Order): compatible\n');
    expect(plain.code).toBe(0);
  });

  it('refuses a namespace that cannot start a topic name, exit 2', async () => {
    const { code, stderr } = await runCli('schemas', 'check', file(), '--schema-registry', registry.url, '--namespace', 'a/b');
    expect(code).toBe(2);
    expect(stderr).toContain(ErrorCodes.CLI_USAGE);
    expect(stderr).toContain("--namespace takes letters, digits, '.', '_' and '-'");
  });
});
