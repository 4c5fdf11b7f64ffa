/**
 * A table across a SIGKILL and restarts, on the real broker: `sluice run`
 * processes of the enrich stage (LMDB state dir, so the table's local copy
 * and its checkpoint survive too), killed in the middle of a batch of orders
 * and run again, and every order's output compared with an independent
 * computation: the customer row current when the order was written.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/index.ts';
import { createTransport } from '../../src/transport/index.ts';
import { brokers, uniqueName } from '../integration/harness/kafka.ts';
import { readTopicToMarkers } from '../integration/harness/read-topic.ts';
import { killedAfterEach, spawnSluice, type SluiceProcess } from './harness/sluice-process.ts';

const PARTITIONS = 3;
const CUSTOMERS = 40;
const ORDERS = 3_000;

const transport = createTransport({ brokers: brokers(), clientId: 'table-restarts-test', logger: silentLogger });
afterAll(() => transport.close());
const children = killedAfterEach();

const topology = [
  'name: shop',
  'topics:',
  `  customers: { partitions: ${PARTITIONS}, cleanup: compact }`,
  `  orders: { partitions: ${PARTITIONS} }`,
  `  orders.enriched: { partitions: ${PARTITIONS} }`,
  'nodes:',
  '  enrich:',
  '    from: orders',
  '    process:',
  '      - join: { table: customers, on: key, as: customer, kind: left }',
  '    to: orders.enriched',
  '',
].join('\n');

function sluiceRun(file: string, namespace: string, stateDir: string, extra: string[] = []): SluiceProcess {
  return spawnSluice(['run', file, '--brokers', brokers().join(','), '--namespace', namespace, '--state-dir', stateDir, '--commit-interval', '200', '--session-timeout', '6000', ...extra], children);
}

async function untilCaughtUp(file: string, namespace: string, stateDir: string): Promise<void> {
  const run = sluiceRun(file, namespace, stateDir, ['--until-caught-up']);
  const exit = await run.exited;
  expect(exit, run.log()).toEqual({ code: 0, signal: null });
}

async function size(topic: string): Promise<number> {
  const ends = await transport.endOffsets(topic).catch(() => []);
  return ends.reduce((n, e) => n + Number(e.offset ?? 0), 0);
}

interface Order { id: number; customer: string; at: number }

describe('a table across restarts (stream–table join, LMDB state)', () => {
  it('enriches every order with the row current when it was written, with a SIGKILL in the middle of each batch', async () => {
    const ns = `${uniqueName('tblk')}.`;
    const dir = await mkdtemp(join(tmpdir(), 'sluice-tables-'));
    const file = join(dir, 'topology.yaml');
    await writeFile(file, topology);
    await transport.createTopics([
      { name: `${ns}customers`, partitions: PARTITIONS, cleanupPolicy: 'compact' },
      { name: `${ns}orders`, partitions: PARTITIONS },
    ]);
    const producer = await transport.producer();
    const rows = new Map<string, { version: number }>();
    const expected = new Map<number, { version: number } | null>();
    const t0 = Date.now() - 3_600_000;
    let n = 0;
    for (let batch = 0; batch < 2; batch++) {
      // Each batch: new rows for half the customers (a tombstone for one), then orders a minute later.
      const at = t0 + batch * 600_000;
      const updates = Array.from({ length: CUSTOMERS }, (_, i) => `c-${i}`).filter((_, i) => batch === 0 || i % 2 === 0);
      await producer.send(updates.map((id, i) => {
        const deleted = batch === 1 && i === 0;
        if (deleted) rows.delete(id);
        else rows.set(id, { version: batch });
        return { topic: `${ns}customers`, key: id, value: deleted ? null : JSON.stringify({ version: batch }), timestamp: at };
      }));
      const orders: Order[] = Array.from({ length: ORDERS }, () => ({ id: n, customer: `c-${n++ % (CUSTOMERS + 5)}`, at: at + 60_000 + n }));
      for (const o of orders) expected.set(o.id, rows.get(o.customer) ?? null);
      await producer.send(orders.map((o) => ({ topic: `${ns}orders`, key: o.customer, value: JSON.stringify({ id: o.id }), timestamp: o.at })));

      const before = await size(`${ns}orders.enriched`);
      const doomed = sluiceRun(file, ns, dir + '/state');
      for (let i = 0; i < 600 && (await size(`${ns}orders.enriched`)) < before + ORDERS / 3; i++) await sleep(50);
      doomed.kill('SIGKILL');
      await doomed.exited;
      await untilCaughtUp(file, ns, dir + '/state');
    }
    await producer.close();

    const out = (await readTopicToMarkers(transport, `${ns}orders.enriched`)).map((r) => JSON.parse(r.value!.toString()) as { id: number; customer: { version: number } | null });
    const wrong = out.filter((o) => JSON.stringify(o.customer) !== JSON.stringify(expected.get(o.id)));
    expect(wrong.slice(0, 5).map((o) => [o.id, o.customer, expected.get(o.id)]), `${wrong.length} of ${out.length} outputs wrong (order, got, expected)`).toEqual([]);
    // At-least-once: the killed runs' uncommitted work is done again, so copies, but none missing.
    expect(new Set(out.map((o) => o.id)).size).toBe(expected.size);
  }, 240_000);
});
