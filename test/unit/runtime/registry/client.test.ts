import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCodecChain, schemaFromJson } from '../../../../src/codecs/index.ts';
import { ErrorCodes, SluiceError } from '../../../../src/core/index.ts';
import { SchemaRegistryClient } from '../../../../src/runtime/registry/client.ts';
import { RegistrySchemas, subjectName } from '../../../../src/runtime/registry/schemas.ts';
import { startFakeRegistry, type FakeRegistry } from './fake-registry.ts';

const fast = { retries: 3, initialDelayMs: 1, maxDelayMs: 5, factor: 2 };
const v1 = schemaFromJson({ type: 'record', name: 'Reading', namespace: 'lab', fields: [{ name: 'id', type: 'string' }] });
const v2 = schemaFromJson({
  type: 'record',
  name: 'Reading',
  namespace: 'lab',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'unit', type: 'string', default: 'C' },
  ],
});

let registry: FakeRegistry;
beforeEach(async () => {
  registry = await startFakeRegistry();
});
afterEach(async () => {
  await registry.close();
});

async function rejected(p: Promise<unknown>): Promise<SluiceError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SluiceError);
  return err as SluiceError;
}

describe('SchemaRegistryClient', () => {
  it('speaks the Confluent media type and sends basic or bearer auth', async () => {
    const basic = new SchemaRegistryClient({ url: `${registry.url}/`, auth: { kind: 'basic', username: 'u', password: 'p' } });
    const id = await basic.register('t-value', JSON.stringify(v1.json));
    expect(await basic.lookup('t-value', JSON.stringify(v1.json))).toBe(id);
    expect(JSON.parse(await basic.schemaById(id))).toEqual(v1.json);
    const bearer = new SchemaRegistryClient({ url: registry.url, auth: { kind: 'bearer', token: 'tok' } });
    await bearer.schemaById(id);
    expect(registry.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /subjects/t-value/versions',
      'POST /subjects/t-value',
      `GET /schemas/ids/${id}`,
      `GET /schemas/ids/${id}`,
    ]);
    expect(registry.requests[0]!.headers['content-type']).toBe('application/vnd.schemaregistry.v1+json');
    expect(registry.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    expect(registry.requests[3]!.headers.authorization).toBe('Bearer tok');
  });

  it('retries 5xx with backoff and succeeds when the registry comes back', async () => {
    const client = new SchemaRegistryClient({ url: registry.url, retry: fast });
    registry.failNext(2);
    expect(await client.register('t-value', JSON.stringify(v1.json))).toBe(1);
    expect(client.requests).toBe(3);
  });

  it('gives up with SCHEMA_REGISTRY_UNAVAILABLE (retriable) after its retries', async () => {
    const client = new SchemaRegistryClient({ url: registry.url, retry: fast });
    registry.failNext(100);
    const err = await rejected(client.schemaById(1));
    expect(err).toMatchObject({ code: ErrorCodes.SCHEMA_REGISTRY_UNAVAILABLE, retriable: true, context: { status: 503 } });
    expect(err.message).toContain('backing store unavailable');
    expect(client.requests).toBe(fast.retries + 1);
  });

  it('names a registry nobody listens on as unavailable', async () => {
    const port = await freePort();
    const client = new SchemaRegistryClient({ url: `http://127.0.0.1:${port}`, retry: fast });
    const err = await rejected(client.schemaById(1));
    expect(err.code).toBe(ErrorCodes.SCHEMA_REGISTRY_UNAVAILABLE);
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('reports an incompatible registration (409) with the registry’s reason, without retrying', async () => {
    const client = new SchemaRegistryClient({ url: registry.url, retry: fast });
    registry.reject('"unit"', 'READER_FIELD_MISSING_DEFAULT_VALUE: unit');
    const err = await rejected(client.register('t-value', JSON.stringify(v2.json)));
    expect(err).toMatchObject({ code: ErrorCodes.SCHEMA_INCOMPATIBLE, retriable: false });
    expect(err.message).toContain('READER_FIELD_MISSING_DEFAULT_VALUE: unit');
    expect(client.requests).toBe(1);
  });

  it('checks compatibility: a new subject accepts anything, a refused one gives its messages', async () => {
    const client = new SchemaRegistryClient({ url: registry.url });
    expect(await client.checkCompatibility('t-value', JSON.stringify(v1.json))).toEqual({ compatible: true, messages: [] });
    await client.register('t-value', JSON.stringify(v1.json));
    registry.reject('"unit"', 'unit has no default');
    expect(await client.checkCompatibility('t-value', JSON.stringify(v2.json))).toEqual({ compatible: false, messages: ['unit has no default'] });
    expect(registry.requests.at(-1)!.path).toBe('/compatibility/subjects/t-value/versions/latest?verbose=true');
  });
});

describe('RegistrySchemas', () => {
  it('names subjects by topic, record and topic-record', () => {
    expect(subjectName('topic', 'readings', v1)).toBe('readings-value');
    expect(subjectName('topic', 'readings', v1, 'key')).toBe('readings-key');
    expect(subjectName('record', 'readings', v1)).toBe('lab.Reading');
    expect(subjectName('topic-record', 'readings', v1)).toBe('readings-lab.Reading');
  });

  it('writes and reads avro-confluent with one request per new id, concurrent misses sharing one', async () => {
    const writing = new RegistrySchemas(new SchemaRegistryClient({ url: registry.url }), true);
    const writer = createCodecChain('avro-confluent', { schema: v1, schemas: writing.forSubject('readings-value') });
    expect(() => writer.encode({ id: 'a' })).toThrow(/not known yet/);
    await Promise.all([writer.prepareEncode(), writer.prepareEncode()]);
    expect(writer.prepareEncode()).toBeUndefined();
    const bytes = ['a', 'b', 'c'].map((id) => writer.encode({ id }));
    expect(bytes[0]!.subarray(0, 5)).toEqual(Buffer.from([0, 0, 0, 0, 1]));
    expect(registry.requests).toHaveLength(1);
    // The writing process reads its own records back without asking.
    expect(writer.decodeFetching(bytes[0]!)).toEqual({ id: 'a' });

    const reading = new RegistrySchemas(new SchemaRegistryClient({ url: registry.url }), true);
    const reader = createCodecChain('avro-confluent', { schema: v2, schemas: reading.forSubject('readings-value') });
    const first = bytes.map((b) => reader.decodeFetching(b));
    expect(first.every((v) => v instanceof Promise)).toBe(true);
    expect(await Promise.all(first)).toEqual(['a', 'b', 'c'].map((id) => ({ id, unit: 'C' })));
    expect(reader.decodeFetching(bytes[1]!)).toEqual({ id: 'b', unit: 'C' });
    expect(registry.requests.filter((r) => r.method === 'GET')).toHaveLength(1);
  });

  it('reads a batch (a file line) whose id is new with one request, then from the cache', async () => {
    const writing = new RegistrySchemas(new SchemaRegistryClient({ url: registry.url }), true);
    const writer = createCodecChain('avro-confluent|base64', { schema: v1, schemas: writing.forSubject('lab.Reading') });
    await writer.prepareEncode();
    const batch = writer.encodeBatch([{ id: 'a' }, { id: 'b' }]);

    const reading = new RegistrySchemas(new SchemaRegistryClient({ url: registry.url }), true);
    const reader = createCodecChain('avro-confluent|base64', { schema: v2, schemas: reading.forSubject('lab.Reading') });
    expect(() => reader.decodeBatch(batch)).toThrow(/no schema with id 1/);
    const first = reader.decodeBatchFetching(batch);
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toEqual([{ id: 'a', unit: 'C' }, { id: 'b', unit: 'C' }]);
    expect(reader.decodeBatchFetching(batch)).toEqual([{ id: 'a', unit: 'C' }, { id: 'b', unit: 'C' }]);
    expect(registry.requests.filter((r) => r.method === 'GET')).toHaveLength(1);
  });

  it('without auto-register looks the schema up, and an unregistered one is SCHEMA_NOT_FOUND', async () => {
    const schemas = new RegistrySchemas(new SchemaRegistryClient({ url: registry.url }), false);
    const chain = createCodecChain('avro-confluent', { schema: v1, schemas: schemas.forSubject('readings-value') });
    const err = await rejected(chain.prepareEncode()!);
    expect(err).toMatchObject({ code: ErrorCodes.SCHEMA_NOT_FOUND, context: { subject: 'readings-value' } });
    await new SchemaRegistryClient({ url: registry.url }).register('readings-value', JSON.stringify(v1.json));
    // The failure was not remembered: the next record asks again.
    await chain.prepareEncode();
    expect(registry.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /subjects/readings-value',
      'POST /subjects/readings-value/versions',
      'POST /subjects/readings-value',
    ]);
  });

  it('an id the registry does not know is SCHEMA_NOT_FOUND (a bad record, dead-lettered)', async () => {
    const schemas = new RegistrySchemas(new SchemaRegistryClient({ url: registry.url }), true);
    const chain = createCodecChain('avro-confluent', { schemas: schemas.forSubject('readings-value') });
    const err = await rejected(chain.decodeFetching(Buffer.from([0, 0, 0, 0, 9, 2, 0x61])) as Promise<unknown>);
    expect(err.code).toBe(ErrorCodes.SCHEMA_NOT_FOUND);
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
