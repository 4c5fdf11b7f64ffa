/**
 * Records fed to a scenario's input at a steady rate, so they keep arriving
 * while the faults (kills, rebalances) happen rather than all before them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { OutgoingRecord, Transport } from '../../../src/transport/index.ts';

const BATCH = 250;

/** Records `from` until `to` (each made by `recordOf`), at about `perSecond`. */
export async function feedAtRate(transport: Transport, from: number, to: number, perSecond: number, recordOf: (i: number) => OutgoingRecord): Promise<void> {
  const producer = await transport.producer();
  const started = Date.now();
  for (let i = from; i < to; i += BATCH) {
    const records = [];
    for (let j = i; j < Math.min(to, i + BATCH); j++) records.push(recordOf(j));
    await producer.send(records);
    const due = started + ((i + BATCH - from) / perSecond) * 1000;
    if (due > Date.now()) await sleep(due - Date.now());
  }
  await producer.close();
}
