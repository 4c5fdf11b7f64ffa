import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, createRecord, type SluiceError, type SluiceRecord } from '../../../src/core/index.ts';
import { CODEC_HEADERS, createCodecChain, createDecodeStream, createEncodeStream } from '../../../src/codecs/index.ts';
import { sampleOrder, schemaV1, testKeys } from './fixtures.ts';

async function run(items: unknown[], ...transforms: NodeJS.ReadWriteStream[]): Promise<unknown[]> {
  const out: unknown[] = [];
  const sink = new Writable({
    objectMode: true,
    write(chunk, _encoding, callback) {
      out.push(chunk);
      callback();
    },
  });
  await pipeline(Readable.from(items), ...(transforms as [NodeJS.ReadWriteStream]), sink);
  return out;
}

const chain = createCodecChain('avro|lz4|aes-gcm|base64', { schema: schemaV1, keys: testKeys() });

describe('codec streams with records', () => {
  it('encode the value, keep key, timestamp and position, add the chain headers', async () => {
    const input = createRecord(sampleOrder(1), { key: 'k1', headers: { trace: 'abc' }, timestamp: 42, topic: 'in', partition: 2, offset: '17' });
    const [encoded] = (await run([input], createEncodeStream(chain))) as SluiceRecord<Buffer>[];
    expect(Buffer.isBuffer(encoded?.value)).toBe(true);
    expect(encoded).toMatchObject({ key: 'k1', timestamp: 42, topic: 'in', partition: 2, offset: '17' });
    expect(encoded?.headers).toEqual({ trace: 'abc', ...chain.headers() });
    expect(input.headers).toEqual({ trace: 'abc' });

    const [decoded] = (await run([encoded], createDecodeStream(chain))) as SluiceRecord[];
    expect(decoded).toMatchObject({ key: 'k1', timestamp: 42, headers: encoded?.headers, offset: '17' });
    expect(JSON.parse(JSON.stringify(decoded?.value))).toEqual(JSON.parse(JSON.stringify(sampleOrder(1))));
  });

  it('hand a bad record to the error channel with its position and go on', async () => {
    const failures: [SluiceError, unknown][] = [];
    const records = [
      createRecord(sampleOrder(1), { topic: 'orders', partition: 0, offset: '10' }),
      createRecord({ id: 'not a long' }, { topic: 'orders', partition: 0, offset: '11' }),
      createRecord(sampleOrder(3), { topic: 'orders', partition: 0, offset: '12' }),
    ];
    const out = (await run(records, createEncodeStream(chain, { onError: (error, input) => void failures.push([error, input]) }))) as SluiceRecord[];
    expect(out.map((r) => r.offset)).toEqual(['10', '12']);
    expect(failures).toHaveLength(1);
    const [error, input] = failures[0]!;
    expect(error.code).toBe(ErrorCodes.SERIALIZE);
    expect(error.context).toMatchObject({ codec: 'avro', topic: 'orders', partition: 0, offset: '11', path: 'id' });
    expect(input).toBe(records[1]);
  });

  it('on decode, a tampered record goes to the error channel, the rest decode', async () => {
    const encoded = (await run([createRecord(sampleOrder(1)), createRecord(sampleOrder(2))], createEncodeStream(chain))) as SluiceRecord<Buffer>[];
    const damaged = { ...encoded[0]!, value: Buffer.from(encoded[0]!.value), offset: '5', topic: 't', partition: 1 };
    damaged.value[30] = damaged.value[30] === 65 ? 66 : 65;
    const codes: string[] = [];
    const out = (await run([damaged, encoded[1]], createDecodeStream(chain, { onError: (e) => void codes.push(e.code) }))) as SluiceRecord[];
    expect(codes).toEqual([ErrorCodes.DECRYPT_AUTH]);
    expect(out.map((r) => (r.value as { id: number }).id)).toEqual([2]);
  });

  it('wait for an asynchronous error channel before the next record, keeping order', async () => {
    const events: string[] = [];
    const onError = async (error: SluiceError) => {
      events.push(`dlq start ${error.context.index}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      events.push(`dlq done ${error.context.index}`);
    };
    const json = createCodecChain('json');
    const stream = createEncodeStream(json, { items: 'values', onError });
    const sink = new Writable({
      objectMode: true,
      write(chunk: Buffer, _encoding, callback) {
        events.push(`out ${chunk.toString()}`);
        callback();
      },
    });
    // 10n cannot be written as JSON: the middle item fails.
    await pipeline(Readable.from([{ v: 1 }, 10n, { v: 3 }]), stream, sink);
    expect(events).toEqual(['out {"v":1}', 'dlq start 1', 'dlq done 1', 'out {"v":3}']);
  });

  it('without an error channel the first failure fails the pipeline', async () => {
    await expect(run([createRecord({ id: 'x' })], createEncodeStream(chain))).rejects.toMatchObject({ code: ErrorCodes.SERIALIZE });
  });

  it('route chunks that are not records to the error channel', async () => {
    const codes: string[] = [];
    const out = await run(['just a string', createRecord(sampleOrder(1))], createEncodeStream(chain, { onError: (e) => void codes.push(e.code) }));
    expect(codes).toEqual([ErrorCodes.RECORD_INVALID]);
    expect(out).toHaveLength(1);
  });

  it('a record whose header names another chain is a CODEC_MISMATCH', async () => {
    const json = createCodecChain('json');
    const record = createRecord(Buffer.from('{}'), { headers: { [CODEC_HEADERS.chain]: 'avro|lz4' } });
    const codes: string[] = [];
    await run([record], createDecodeStream(json, { onError: (e) => void codes.push(e.code) }));
    expect(codes).toEqual([ErrorCodes.CODEC_MISMATCH]);
  });
});

describe('codec streams with bare values and batches', () => {
  it('frame every batchSize values into one buffer, the rest at the end', async () => {
    const values = Array.from({ length: 25 }, (_, i) => sampleOrder(i));
    const batches = (await run(values, createEncodeStream(chain, { items: 'values', batchSize: 10 }))) as Buffer[];
    expect(batches).toHaveLength(3);
    const decoded = (await run(batches, createDecodeStream(chain, { items: 'values', batches: true }))) as { id: number }[];
    expect(decoded.map((v) => v.id)).toEqual(values.map((v) => v.id));
  });

  it('leave bad values out of a batch and report each', async () => {
    const failures: number[] = [];
    const values = [sampleOrder(0), { id: 'bad' }, sampleOrder(2), 'worse', sampleOrder(4)];
    const batches = (await run(
      values,
      createEncodeStream(chain, { items: 'values', batchSize: 3, onError: (e) => void failures.push(e.context.index as number) }),
    )) as Buffer[];
    expect(failures).toEqual([1, 3]);
    const decoded = (await run(batches, createDecodeStream(chain, { items: 'values', batches: true }))) as { id: number }[];
    expect(decoded.map((v) => v.id)).toEqual([0, 2, 4]);
  });

  it('batch records and decode a batch record back into records', async () => {
    const records = [1, 2, 3].map((i) => createRecord(sampleOrder(i), { key: `k${i}` }));
    const [batch] = (await run(records, createEncodeStream(chain, { batchSize: 3 }))) as Buffer[];
    const carrier = createRecord(batch, { topic: 'files', offset: '0' });
    const out = (await run([carrier], createDecodeStream(chain, { batches: true }))) as SluiceRecord<{ id: number }>[];
    expect(out.map((r) => [r.value.id, r.topic])).toEqual([[1, 'files'], [2, 'files'], [3, 'files']]);
  });

  it('a null decoded as a bare value goes to the error channel instead of ending the stream', async () => {
    const json = createCodecChain('json');
    const codes: string[] = [];
    const out = await run([Buffer.from('1'), Buffer.from('null'), Buffer.from('3')], createDecodeStream(json, { items: 'values', onError: (e) => void codes.push(e.code) }));
    expect(out).toEqual([1, 3]);
    expect(codes).toEqual([ErrorCodes.RECORD_INVALID]);
  });

  it('honour backpressure: writes report a full buffer when nobody reads', () => {
    const stream = createEncodeStream(createCodecChain('json'), { items: 'values', highWaterMark: 4 });
    let accepted = 0;
    while (stream.write({ n: accepted })) accepted++;
    // Readable side (4) plus writable side (4) fill up; then write() says stop.
    expect(accepted).toBeLessThanOrEqual(10);
    expect(stream.readableLength).toBeLessThanOrEqual(4);
    stream.destroy();
  });

  it('pass the stream\'s additional authenticated data to aes-gcm', async () => {
    const keys = testKeys();
    const sealed = createCodecChain('json|aes-gcm', { keys });
    const encoded = await run([{ a: 1 }], createEncodeStream(sealed, { items: 'values', aad: Buffer.from('orders') }));
    expect(await run(encoded, createDecodeStream(sealed, { items: 'values', aad: Buffer.from('orders') }))).toEqual([{ a: 1 }]);
    const codes: string[] = [];
    await run(encoded, createDecodeStream(sealed, { items: 'values', aad: Buffer.from('payments'), onError: (e) => void codes.push(e.code) }));
    expect(codes).toEqual([ErrorCodes.DECRYPT_AUTH]);
  });
});
