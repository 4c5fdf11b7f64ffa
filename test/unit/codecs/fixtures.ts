import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SluiceError } from '../../../src/core/index.ts';
import { KeyRing, schemaFromJson } from '../../../src/codecs/index.ts';

/** Order lines; v2 widens `qty` from int to long. */
function linesField(qty: 'int' | 'long') {
  return {
    name: 'lines',
    type: {
      type: 'array',
      items: {
        type: 'record',
        name: 'Line',
        fields: [
          { name: 'sku', type: 'string' },
          { name: 'qty', type: qty },
          { name: 'price', type: { type: 'fixed', name: 'Price', size: 8, logicalType: 'decimal', precision: 10, scale: 3 } },
        ],
      },
    },
  };
}

/** v1 of a schema exercising records, enums, unions, arrays, maps and both logical types. */
export const orderV1 = {
  type: 'record',
  name: 'Order',
  namespace: 'com.example',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'customer', type: 'string' },
    { name: 'placedAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'total', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } },
    { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['NEW', 'PAID', 'SHIPPED'], default: 'NEW' } },
    { name: 'note', type: ['null', 'string'], default: null },
    linesField('int'),
    { name: 'attrs', type: { type: 'map', values: 'string' } },
  ],
};

/** v2: adds a field with a default, drops `note`, promotes qty int → long. Readable from v1. */
export const orderV2 = {
  ...orderV1,
  fields: [
    ...orderV1.fields.filter((f) => f.name !== 'note' && f.name !== 'lines'),
    linesField('long'),
    { name: 'channel', type: 'string', default: 'web' },
  ],
};

/** v3: a new field without a default: cannot read v1 data. */
export const orderV3 = { ...orderV1, fields: [...orderV1.fields, { name: 'region', type: 'string' }] };

export const schemaV1 = schemaFromJson(orderV1, 'order-v1.avsc');
export const schemaV2 = schemaFromJson(orderV2, 'order-v2.avsc');
export const schemaV3 = schemaFromJson(orderV3, 'order-v3.avsc');

export function sampleOrder(id = 1): Record<string, unknown> {
  return {
    id,
    customer: 'Zoë Ångström 🚀',
    placedAt: new Date(1714564800000 + id),
    total: '1234.50',
    status: 'PAID',
    note: null,
    lines: [{ sku: 'A-1', qty: 2, price: '-3.250' }],
    attrs: { coupon: 'SPRING' },
  };
}

export function testKeys(...ids: string[]): KeyRing {
  return new KeyRing((ids.length === 0 ? ['k1'] : ids).map((id) => [id, randomBytes(32)] as const));
}

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'sluice-codecs-'));
}

export async function writeJson(dir: string, name: string, json: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof json === 'string' ? json : JSON.stringify(json, null, 2));
  return path;
}

/** The SluiceError `fn` throws; fails the test if it throws nothing or something else. */
export function errorOf(fn: () => unknown): SluiceError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SluiceError) return err;
    throw err;
  }
  throw new Error('expected a SluiceError, nothing was thrown');
}

export function codeOf(fn: () => unknown): string {
  return errorOf(fn).code;
}

/** Avro's zig-zag varint of a long, for hand-made (hostile) Avro bodies. */
export function avroLong(n: bigint): Buffer {
  let z = n >= 0n ? n * 2n : -n * 2n - 1n;
  const out: number[] = [];
  while (z >= 0x80n) {
    out.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  out.push(Number(z));
  return Buffer.from(out);
}
