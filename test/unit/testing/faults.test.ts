import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/core/index.ts';
import { runDifferences, type WrittenRecord } from '../../../src/testing/faults.ts';
import { loadTopology } from '../../../src/topology/index.ts';

const orders = fileURLToPath(new URL('../../../topologies/orders/topology.yaml', import.meta.url));
const order = { order_id: 'o-4', amount: 12, ts: 1704067200000, customer: null };
const late: WrittenRecord = { key: 'o-4', value: { stage: 'pay', code: ErrorCodes.LATE_RECORD, value: JSON.stringify(order) }, from: 'orders.enriched' };
const paid: WrittenRecord = { key: 'o-4', value: { order_id: 'o-4', amount: 12, payment: null } };

describe('sluice test --faults: comparing the run with crashes to the one without', () => {
  it('allows, at-least-once, a late dead letter of a record its input topic holds twice (a repeat after its window closed)', async () => {
    const topology = await loadTopology(orders);
    const clean = new Map<string, WrittenRecord[]>([
      ['orders.enriched', [{ key: 'o-4', value: order }]],
      ['orders.paid', [paid]],
      ['orders.pay.dlq', []],
    ]);
    const repeated = new Map<string, WrittenRecord[]>([
      ['orders.enriched', [{ key: 'o-4', value: order }, { key: 'o-4', value: order }]],
      ['orders.paid', [paid]],
      ['orders.pay.dlq', [late]],
    ]);
    expect(runDifferences(topology, '', clean, repeated, 1)).toEqual([]);
  });

  it('still reports a late dead letter of a record written once, and a dead letter of another code', async () => {
    const topology = await loadTopology(orders);
    const clean = new Map<string, WrittenRecord[]>([
      ['orders.enriched', [{ key: 'o-4', value: order }]],
      ['orders.pay.dlq', []],
    ]);
    const once = new Map<string, WrittenRecord[]>([
      ['orders.enriched', [{ key: 'o-4', value: order }]],
      ['orders.pay.dlq', [late]],
    ]);
    expect(runDifferences(topology, '', clean, once, 1).map((f) => f.target)).toEqual(['orders.pay.dlq']);
    const invalid = { ...late, value: { ...(late.value as object), code: ErrorCodes.RECORD_INVALID } };
    const otherCode = new Map<string, WrittenRecord[]>([
      ['orders.enriched', [{ key: 'o-4', value: order }, { key: 'o-4', value: order }]],
      ['orders.pay.dlq', [invalid]],
    ]);
    expect(runDifferences(topology, '', clean, otherCode, 1)[0]?.message).toMatch(/^orders\.pay\.dlq with a crash every 1 records: unexpected/);
  });
});
