import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, SluiceError } from '../../../src/core/index.ts';
import { checkReadable, loadSchemaDirectory, loadSchemaFile, schemaFromJson } from '../../../src/codecs/index.ts';
import { orderV1, orderV2, orderV3, schemaV1, schemaV2, schemaV3, tempDir, writeJson } from './fixtures.ts';

async function rejection(promise: Promise<unknown>): Promise<SluiceError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof SluiceError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('loadSchemaFile', () => {
  it('loads a schema with its name, fingerprint and logical types', async () => {
    const dir = await tempDir();
    const path = await writeJson(dir, 'order.avsc', orderV1);
    const loaded = await loadSchemaFile(path);
    expect(loaded.name).toBe('com.example.Order');
    expect(loaded.path).toBe(path);
    expect(loaded.json).toEqual(orderV1);
    expect(loaded.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(loaded.fingerprint).toBe(schemaV1.fingerprint);
    expect(loaded.fingerprint).not.toBe(schemaV2.fingerprint);
    const decoded = loaded.type.fromBuffer(loaded.type.toBuffer({
      id: 1, customer: 'c', placedAt: 5, total: '1.5', status: 'NEW', note: null, lines: [], attrs: {},
    })) as Record<string, unknown>;
    expect(decoded.placedAt).toEqual(new Date(5));
    expect(decoded.total).toBe('1.50');
  });

  it('reports a missing file as SCHEMA_NOT_FOUND with the file', async () => {
    const error = await rejection(loadSchemaFile('/nonexistent/order.avsc'));
    expect(error.code).toBe(ErrorCodes.SCHEMA_NOT_FOUND);
    expect(error.context.file).toBe('/nonexistent/order.avsc');
  });

  it('reports malformed JSON with line and column', async () => {
    const dir = await tempDir();
    const path = await writeJson(dir, 'bad.avsc', '{\n  "type": "record",\n  "name": oops\n}');
    const error = await rejection(loadSchemaFile(path));
    expect(error.code).toBe(ErrorCodes.SCHEMA_INVALID);
    expect(error.context).toMatchObject({ file: path, line: 3, column: 11 });
    expect(error.where).toBe(`${path}:3:11`);
  });

  it('reports an invalid Avro schema as SCHEMA_INVALID', async () => {
    const dir = await tempDir();
    const path = await writeJson(dir, 'bad.avsc', { type: 'record', name: 'X', fields: [{ name: 'a', type: 'Nope' }] });
    const error = await rejection(loadSchemaFile(path));
    expect(error.code).toBe(ErrorCodes.SCHEMA_INVALID);
    expect(error.message).toContain('Nope');
    expect(error.context.file).toBe(path);
  });

  it('rejects invalid decimal attributes instead of silently dropping the logical type', () => {
    for (const bad of [
      { type: 'bytes', logicalType: 'decimal', precision: 0 },
      { type: 'bytes', logicalType: 'decimal', precision: 4, scale: 5 },
      { type: 'fixed', name: 'F', size: 2, logicalType: 'decimal', precision: 9 },
      { type: 'string', logicalType: 'decimal', precision: 4 },
    ]) {
      expect(() => schemaFromJson(bad)).toThrow(expect.objectContaining({ code: ErrorCodes.SCHEMA_INVALID }));
    }
  });
});

describe('checkReadable', () => {
  it('allows added fields with defaults, removed fields and promotions', () => {
    expect(checkReadable(schemaV2.type, schemaV1.type)).toEqual({ ok: true });
    expect(checkReadable(schemaV1.type, schemaV1.type)).toEqual({ ok: true });
  });

  it('refuses a new field without a default, naming it', () => {
    const result = checkReadable(schemaV3.type, schemaV1.type);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toContain('region');
  });

  it('refuses narrowing and changed decimal scale', () => {
    const long = schemaFromJson('long');
    const int = schemaFromJson('int');
    expect(checkReadable(long.type, int.type).ok).toBe(true);
    expect(checkReadable(int.type, long.type).ok).toBe(false);
    const dec = (scale: number) => schemaFromJson({ type: 'bytes', logicalType: 'decimal', precision: 9, scale });
    expect(checkReadable(dec(2).type, dec(2).type).ok).toBe(true);
    expect(checkReadable(dec(2).type, dec(3).type).ok).toBe(false);
  });

  it('lets a timestamp-millis reader read a plain long', () => {
    const ts = schemaFromJson({ type: 'long', logicalType: 'timestamp-millis' });
    const long = schemaFromJson('long');
    expect(checkReadable(ts.type, long.type).ok).toBe(true);
    expect(ts.type.fromBuffer(long.type.toBuffer(42), ts.type.createResolver(long.type))).toEqual(new Date(42));
  });
});

describe('loadSchemaDirectory', () => {
  it('indexes schemas by id prefix and by fingerprint', async () => {
    const dir = await tempDir();
    await writeJson(dir, '1-order.avsc', orderV1);
    await writeJson(dir, '7.avsc', orderV2);
    await writeJson(dir, 'order-v3.avsc', orderV3);
    await writeJson(dir, 'README.txt', 'not a schema');
    const schemas = await loadSchemaDirectory(dir);
    expect(schemas.byId(1)?.fingerprint).toBe(schemaV1.fingerprint);
    expect(schemas.byId(7)?.path).toBe(join(dir, '7.avsc'));
    expect(schemas.byId(3)).toBeUndefined();
    expect(schemas.byFingerprint(schemaV3.fingerprint)?.name).toBe('com.example.Order');
    expect(schemas.idOf(schemaV2)).toBe(7);
    expect(schemas.idOf(schemaV3)).toBeUndefined();
  });

  it('refuses two files with one id', async () => {
    const dir = await tempDir();
    await writeJson(dir, '1-a.avsc', orderV1);
    await writeJson(dir, '1-b.avsc', orderV2);
    const error = await rejection(loadSchemaDirectory(dir));
    expect(error.code).toBe(ErrorCodes.SCHEMA_INVALID);
    expect(error.message).toContain('schema id 1');
  });
});
