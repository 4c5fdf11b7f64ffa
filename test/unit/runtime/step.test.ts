import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { createRecord, ErrorCodes, SluiceError } from '../../../src/core/index.ts';
import { derive, type Envelope } from '../../../src/runtime/envelope.ts';
import { PartitionWatermark } from '../../../src/runtime/offsets.ts';
import { StepStream } from '../../../src/runtime/step.ts';

function envelopes(mark: PartitionWatermark, values: number[]): Envelope[] {
  return values.map((v, i) => ({
    record: createRecord(v, { topic: 't', partition: 0, offset: String(i) }),
    token: mark.track(BigInt(i)),
    origin: { topic: 't', partition: 0, offset: String(i), rawKey: null, rawValue: String(v), rawHeaders: {}, timestamp: 0 },
  }));
}

async function run(input: Envelope[], ...steps: StepStream[]): Promise<Envelope[]> {
  const out: Envelope[] = [];
  const sink = new Writable({
    objectMode: true,
    write(env: Envelope, _e, cb) {
      out.push(env);
      cb();
    },
  });
  await pipeline([Readable.from(input), ...steps, sink] as unknown as [Readable, Writable]);
  return out;
}

describe('StepStream', () => {
  it('filters, fans out and keeps commit positions behind unacknowledged outputs', async () => {
    const mark = new PartitionWatermark('t', 0);
    const failed: Array<[SluiceError, Envelope]> = [];
    const onError = async (err: SluiceError, env: Envelope) => {
      failed.push([err, env]);
      env.token?.done();
    };
    const drop = new StepStream((e) => ((e.record.value as number) % 3 === 0 ? null : e), { name: 'drop', onError });
    const twice = new StepStream(
      (e) => [derive(e, { ...e.record, value: -(e.record.value as number) }), e],
      { name: 'twice', onError },
    );
    const poison = new StepStream(
      (e) => {
        if (e.record.value === 4) throw new Error('four is poison');
        return e;
      },
      { name: 'poison', onError },
    );
    const out = await run(envelopes(mark, [0, 1, 2, 3, 4, 5]), drop, twice, poison);

    expect(out.map((e) => e.record.value)).toEqual([-1, 1, -2, 2, -4, -5, 5]);
    expect(failed).toHaveLength(1);
    expect(failed[0]![0]).toMatchObject({ code: ErrorCodes.PROCESSOR, context: { step: 'poison', topic: 't', offset: '4' } });
    expect(failed[0]![0].message).toBe('four is poison');

    // 0 and 3 were filtered; the rest wait for their outputs to be acknowledged.
    expect(mark.committable()).toBe(1n);
    for (const env of out.slice(0, 2)) env.token!.done();
    expect(mark.committable()).toBe(2n);
    for (const env of out.slice(2)) env.token!.done();
    expect(mark.committable()).toBe(6n);
  });

  it('awaits async steps in order and fails the stream when the error channel fails', async () => {
    const mark = new PartitionWatermark('t', 0);
    const slowFirst = new StepStream(
      async (e) => {
        await new Promise((r) => setTimeout(r, e.record.value === 0 ? 20 : 0));
        return e;
      },
      { name: 'async', onError: async () => {} },
    );
    expect((await run(envelopes(mark, [0, 1, 2]), slowFirst)).map((e) => e.record.value)).toEqual([0, 1, 2]);

    const broken = new StepStream(
      () => {
        throw new Error('bad');
      },
      { name: 'x', onError: async () => Promise.reject(new Error('dead-letter topic unavailable')) },
    );
    await expect(run(envelopes(new PartitionWatermark('t', 0), [1]), broken)).rejects.toThrow('dead-letter topic unavailable');
  });

  it('fails the stream on a schema registry outage after its retries instead of dead-lettering the record', async () => {
    const mark = new PartitionWatermark('t', 0);
    const dead: SluiceError[] = [];
    let calls = 0;
    const decode = new StepStream(
      (e) => {
        if (e.record.value !== 2) return null;
        calls++;
        return Promise.reject(new SluiceError(ErrorCodes.SCHEMA_REGISTRY_UNAVAILABLE, 'registry away', { retriable: true }));
      },
      {
        name: 'decode',
        onError: async (err, env) => {
          dead.push(err);
          env.token?.done();
        },
        retry: { retries: 2, initialDelayMs: 1, maxDelayMs: 2, factor: 2 },
      },
    );
    const failure = await run(envelopes(mark, [1, 2, 3]), decode).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toMatchObject({ code: ErrorCodes.SCHEMA_REGISTRY_UNAVAILABLE, context: { step: 'decode', offset: '1', attempts: 3 } });
    expect(calls).toBe(3);
    expect(dead).toEqual([]);
    // Offset 0 settled; the commit stops at the record of the outage, which is read again after a restart.
    expect(mark.committable()).toBe(1n);
  });
});
