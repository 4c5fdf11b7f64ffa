/**
 * An HTTP source stopped and started again while clients keep posting: a
 * `sluice run --node receive` process on the real broker is SIGTERMed, then
 * a second one SIGKILLed, then a third one takes the rest. Clients retry a
 * batch until it is answered 200, as the source asks (503 while it stops).
 * The topic is then compared with what the clients sent, batch by batch: no
 * record lost, none the clients never sent, and copies only where a client
 * cannot know whether its request was taken (the connection broke before an
 * answer); a request refused with 503 adds nothing, since a request is all
 * or nothing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { Instance, killAll, ALARMS } from '../../reliability/harness/instances.ts';
import { brokers, uniqueName } from '../harness/kafka.ts';
import { until } from '../coordinator/helpers.ts';
import { freePort, ingestTopology, postNdjson, readTopic } from './http-client.ts';

const BATCHES = 60;
const PER_BATCH = 20;
const SENDERS = 3;

afterEach(killAll);

interface Batch {
  ids: number[];
  /** Attempts that ended without an answer after the connection was made: the server may have taken them. */
  uncertain: number;
  refused: number;
  acknowledged: boolean;
}

/** Retries each batch until it is answered 200; a batch at a time per sender. */
class Clients {
  readonly batches: Batch[] = Array.from({ length: BATCHES }, (_, b) => ({
    ids: Array.from({ length: PER_BATCH }, (_, i) => b * PER_BATCH + i),
    uncertain: 0,
    refused: 0,
    acknowledged: false,
  }));
  #next = 0;
  readonly done: Promise<void>;

  constructor(private readonly port: number) {
    this.done = Promise.all(Array.from({ length: SENDERS }, () => this.#sender())).then(() => undefined);
  }

  get acknowledged(): number {
    return this.batches.filter((b) => b.acknowledged).length;
  }

  async #sender(): Promise<void> {
    for (let b = this.#next++; b < BATCHES; b = this.#next++) {
      const batch = this.batches[b]!;
      const body = batch.ids.map((id) => JSON.stringify({ id })).join('\n') + '\n';
      while (!batch.acknowledged) {
        try {
          const answer = await postNdjson(this.port, '/events', body);
          if (answer.status === 200) batch.acknowledged = true;
          else if (answer.status === 503) batch.refused++;
          else throw new Error(`unexpected ${answer.status}: ${answer.text}`);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === undefined) throw err;
          // Refused outright, the request never reached a server; anything else may have.
          if ((err as NodeJS.ErrnoException).code !== 'ECONNREFUSED') batch.uncertain++;
        }
        if (!batch.acknowledged) await sleep(50);
      }
      await sleep(20);
    }
  }
}

describe('http source restarts', () => {
  it('SIGTERM and SIGKILL while clients post: nothing lost, nothing unsent, copies only of requests left unanswered', async () => {
    const port = await freePort();
    const file = ingestTopology('ingest-restart', port, { partitions: 2 });
    const namespace = `${uniqueName('restart')}.`;
    const start = () => Instance.start({ file, brokers: brokers(), namespace, node: 'receive' });
    const listening = () => until('the http source listens', async () => ((await postNdjson(port, '/events', '')).status === 200 ? true : undefined), 60_000, 100);

    const first = start();
    await listening();
    const clients = new Clients(port);
    await until('a quarter of the batches acknowledged', () => (clients.acknowledged >= BATCHES / 4 ? true : undefined), 60_000, 20);
    const term = await first.stop();
    expect(term.exit, first.log).toEqual({ code: 0, signal: null });

    const second = start();
    await listening();
    await until('half of the batches acknowledged', () => (clients.acknowledged >= BATCHES / 2 ? true : undefined), 60_000, 20);
    second.signal('SIGKILL');
    expect((await second.exited).signal).toBe('SIGKILL');

    const third = start();
    await clients.done;
    const last = await third.stop();
    expect(last.exit, third.log).toEqual({ code: 0, signal: null });
    for (const instance of [first, second, third]) expect(instance.log).not.toMatch(ALARMS);

    // The independent count: what the clients sent, batch by batch, against what the topic holds.
    const copies = new Map<number, number>();
    for (const { id } of await readTopic<{ id: number }>(`${namespace}events`)) copies.set(id, (copies.get(id) ?? 0) + 1);
    const sent = new Set(clients.batches.flatMap((b) => b.ids));
    expect([...copies.keys()].filter((id) => !sent.has(id)), 'ids nobody sent').toEqual([]);
    const problems: string[] = [];
    for (const [b, batch] of clients.batches.entries()) {
      for (const id of batch.ids) {
        const n = copies.get(id) ?? 0;
        if (n < 1 || n > 1 + batch.uncertain) problems.push(`batch ${b} id ${id}: ${n} copies, ${batch.uncertain} unanswered attempts, ${batch.refused} refused`);
      }
    }
    expect(problems).toEqual([]);
    // The faults did happen to requests in flight: some were refused or left unanswered, and retried.
    expect(clients.batches.some((b) => b.refused + b.uncertain > 0)).toBe(true);
  });
});
