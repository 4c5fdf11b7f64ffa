/**
 * Tables answer interactive queries, on the embedded transport and on Kafka:
 * the table-query fixture's `enrich` node keeps the compacted `customers`
 * topic (Avro, then LZ4) as a table, and GET /stores/enrich/customers/<id>
 * (and `sluice query --store customers`) answer a customer's latest row,
 * decoded, from the task owning its partition. The test writes `customers`
 * itself, encoded with the topic's chain; every answer is checked against
 * the rows it wrote, later ones winning.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Coordinator } from '../../../src/coordinator/index.ts';
import { ErrorCodes, silentLogger } from '../../../src/core/index.ts';
import { TopologyResources, topicEncoder } from '../../../src/runtime/index.ts';
import { loadTopology } from '../../../src/topology/index.ts';
import { createTransport, partitionForKey, type Transport } from '../../../src/transport/index.ts';
import { brokers, uniqueName } from '../harness/kafka.ts';
import { runCli } from '../../unit/cli/cli-harness.ts';
import { startCoordinator, stopCoordinator, until } from './helpers.ts';

const fixture = fileURLToPath(new URL('../../fixtures/table-query/topology.yaml', import.meta.url));
const PARTITIONS = 3;

interface Customer {
  id: string;
  name: string;
  tier: string;
}

interface Answer {
  status: number;
  body: { code?: string; error?: string; node?: string; store?: string; key?: string; partition?: number; value?: Customer; results?: unknown };
}

let running: { coordinator: Coordinator; transport: Transport } | undefined;

afterEach(async () => {
  if (running === undefined) return;
  await stopCoordinator(running.coordinator);
  await running.transport.close();
  running = undefined;
});

async function start(kind: 'embedded' | 'kafka', namespace: string): Promise<{ coordinator: Coordinator; transport: Transport }> {
  if (kind === 'kafka') {
    const coordinator = await startCoordinator(fixture, namespace);
    return { coordinator, transport: createTransport({ brokers: brokers(), clientId: 'tquery-test', logger: silentLogger }) };
  }
  const coordinator = await Coordinator.start({ topology: await loadTopology(fixture), logger: silentLogger, namespace, http: { port: 0 }, commitIntervalMs: 200 });
  // The process-wide embedded broker: the coordinator's stages read what this writes.
  return { coordinator, transport: createTransport({ clientId: 'tquery-test', logger: silentLogger }) };
}

async function ask(coordinator: Coordinator, store: string, key: string): Promise<Answer> {
  const res = await fetch(`${coordinator.http!.url}/stores/enrich/${store}/${encodeURIComponent(key)}`);
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

describe.each(['embedded', 'kafka'] as const)('table queries on %s', (kind) => {
  it("answers each customer's latest row from its partition's table, a missing key with 404, and an update once read", async () => {
    const namespace = `${uniqueName('tquery')}.`;
    const { coordinator, transport } = (running = await start(kind, namespace));
    const topic = `${namespace}customers`;
    const encoder = topicEncoder(await TopologyResources.load(coordinator.plan.topology), topic);
    const producer = await transport.producer();
    const send = (rows: Array<Customer | { id: string; deleted: true }>) =>
      producer.send(rows.map((c) => ({ topic, key: c.id, value: 'deleted' in c ? null : encoder.encode(c), headers: { ...encoder.headers } })));

    const rows: Customer[] = Array.from({ length: 12 }, (_, i) => ({ id: `c-${i}`, name: `Customer ${i}`, tier: ['gold', 'silver', 'bronze'][i % 3]! }));
    await send(rows);
    // Later rows win: c-2 moves up, c-3 is deleted.
    await send([{ id: 'c-2', name: 'Customer 2', tier: 'gold' }, { id: 'c-3', deleted: true }]);
    const table = new Map(rows.map((c) => [c.id, c]));
    table.set('c-2', { id: 'c-2', name: 'Customer 2', tier: 'gold' });
    table.delete('c-3');

    // Until the stage has read the table up to the writes above (its group may still be forming on Kafka).
    await until(
      'every customer answered with its latest row',
      async () => {
        for (const [id, row] of table) {
          const answer = await ask(coordinator, 'customers', id);
          if (answer.status !== 200 || answer.body.value?.tier !== row.tier) return undefined;
        }
        return (await ask(coordinator, 'customers', 'c-3')).status === 404 ? true : undefined;
      },
      90_000,
      250,
    );
    for (const [id, row] of table) {
      const { status, body } = await ask(coordinator, 'customers', id);
      expect(status, id).toBe(200);
      // The table is co-partitioned with `orders`: the key's partition is the partitioner's, as for a window.
      expect(body, id).toEqual({ node: 'enrich', store: 'customers', key: id, partition: partitionForKey(id, PARTITIONS), value: row });
    }

    const missing = await ask(coordinator, 'customers', 'c-404');
    expect(missing).toMatchObject({ status: 404, body: { code: ErrorCodes.KEY_NOT_FOUND, key: 'c-404', partition: partitionForKey('c-404', PARTITIONS) } });
    expect(missing.body.error).toMatch(/no row of key `c-404` in enrich\/customers/);
    const deleted = await ask(coordinator, 'customers', 'c-3');
    expect(deleted.body.code).toBe(ErrorCodes.KEY_NOT_FOUND);
    const unknown = await ask(coordinator, 'nope', 'c-1');
    expect(unknown).toMatchObject({ status: 404, body: { code: ErrorCodes.STORE_UNKNOWN } });
    expect(unknown.body.error).toMatch(/node `enrich` keeps no store `nope`; its stores: customers$/);

    // The CLI asks the same route, and prints the answer.
    const cli = await runCli('query', fixture, 'enrich', 'c-1', '--store', 'customers', '--url', coordinator.http!.url);
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout)).toEqual({ node: 'enrich', store: 'customers', key: 'c-1', partition: partitionForKey('c-1', PARTITIONS), value: table.get('c-1') });
    const cliMissing = await runCli('query', fixture, 'enrich', 'c-404', '--store', 'customers', '--url', coordinator.http!.url);
    expect(cliMissing.code).toBe(1);
    expect(cliMissing.stderr).toMatch(/no row of key `c-404` in enrich\/customers \[SLUICE_ERR_KEY_NOT_FOUND\]/);

    // An update is answered once the stage has read it; nothing else changes.
    const updated = { id: 'c-1', name: 'Customer 1', tier: 'platinum' };
    await send([updated]);
    await until('the update to c-1 answered', async () => ((await ask(coordinator, 'customers', 'c-1')).body.value?.tier === 'platinum' ? true : undefined), 30_000, 100);
    expect((await ask(coordinator, 'customers', 'c-1')).body.value).toEqual(updated);
    expect((await ask(coordinator, 'customers', 'c-0')).body.value).toEqual(table.get('c-0'));
    await producer.close();

    // Each table restore is shown under its store's name, done, for every partition.
    const status = await coordinator.refresh();
    const restores = status.stages.find((s) => s.stage === 'enrich')!.local!.restores;
    expect(restores.map((r) => [r.store, r.partition, r.remaining]).sort()).toEqual([0, 1, 2].map((p) => [`table-${topic}`, p, 0]));
  }, 120_000);
});
