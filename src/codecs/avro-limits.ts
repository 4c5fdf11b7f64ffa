/**
 * Avro collections on hostile input. avsc trusts the item count at the head
 * of each array block and allocates `new Array(count)` before reading any
 * item, so six bytes that claim 100,000,000 ints take ~800 MB and seconds
 * before the read fails as truncated. Every item of an array or map entry
 * takes at least one byte on the wire (unless its type is zero-width, such
 * as `null`), so a count larger than the bytes left cannot be honest: it is
 * refused before anything is allocated. Zero-width items are capped by count.
 *
 * avsc freezes its type objects, so the guard replaces `_read` on avsc's
 * ArrayType and MapType prototypes (a copy of avsc's own loop plus the check)
 * once, when this module loads; resolvers (reader/writer schemas) copy their
 * reader type's `_read` when created, so they read through it too.
 */
import avro, { type Type } from 'avsc';

/** Most items an array of zero-width items (`null`, empty records) may hold. */
export const MAX_ZERO_WIDTH_ITEMS = 1_000_000;

interface Tap {
  buf: Buffer;
  pos: number;
  readLong(): number;
  skipLong(): void;
  readString(): string;
}

/** The parts of avsc's type objects (public fields and the `_read` hook) this module touches. */
interface AvscType {
  typeName: string;
  size?: number;
  fields?: Array<{ type: AvscType }>;
  types?: AvscType[];
  itemsType?: AvscType;
  valuesType?: AvscType;
  underlyingType?: AvscType;
  _read(tap: Tap): unknown;
}

/** What reads items: a type, or a resolver (which knows its reader type only). */
interface ItemReader {
  _read(tap: Tap): unknown;
  _readerType?: AvscType;
}

/** `this` inside `_read`: the type itself or a resolver built from it. */
interface Reading {
  itemsType?: ItemReader;
  valuesType?: ItemReader;
}

class CollectionTooLarge extends Error {
  constructor(what: string, count: number, left: number) {
    super(`${what} block claims ${count} items with ${left} bytes left (a corrupt or hostile length)`);
  }
}

/** Fewest bytes a value of `type` takes in Avro binary. */
export function minWireBytes(type: Type): number {
  return widthOf(type as unknown as AvscType, new Set());
}

function widthOf(t: AvscType, open: Set<AvscType>): number {
  switch (t.typeName) {
    case 'null':
      return 0;
    case 'float':
      return 4;
    case 'double':
      return 8;
    case 'fixed':
      return t.size ?? 0;
    case 'record':
    case 'error': {
      // A record that contains itself must do so through a union, array or map (≥ 1 byte).
      if (open.has(t)) return 0;
      open.add(t);
      const sum = (t.fields ?? []).reduce((n, f) => n + widthOf(f.type, open), 0);
      open.delete(t);
      return sum;
    }
    default:
      return t.underlyingType !== undefined && t.typeName.startsWith('logical') ? widthOf(t.underlyingType, open) : 1;
  }
}

function blockCount(tap: Tap): number {
  let n = tap.readLong();
  if (n < 0) {
    n = -n;
    tap.skipLong(); // the block's byte size
  }
  return n;
}

function checkBlock(what: string, tap: Tap, n: number, width: number, total: number): void {
  const left = tap.buf.length - tap.pos;
  if (width === 0 ? total + n > MAX_ZERO_WIDTH_ITEMS : n * width > left) throw new CollectionTooLarge(what, n, left);
}

const widths = new WeakMap<ItemReader, number>();

/** Fewest bytes an item takes, through a resolver by its reader type (the writer's is not kept). */
function itemWidth(items: ItemReader): number {
  let w = widths.get(items);
  if (w === undefined) {
    w = widthOf(items._readerType ?? (items as unknown as AvscType), new Set());
    widths.set(items, w);
  }
  return w;
}

function guardedArrayRead(this: Reading, tap: Tap): unknown[] {
  const items = this.itemsType!;
  let val: unknown[] | undefined;
  let i = 0;
  let n: number;
  while ((n = blockCount(tap))) {
    checkBlock('array', tap, n, itemWidth(items), i);
    val ??= new Array<unknown>(n);
    while (n--) val[i++] = items._read(tap);
  }
  return val ?? [];
}

function guardedMapRead(this: Reading, tap: Tap): Record<string, unknown> {
  const values = this.valuesType!;
  const val: Record<string, unknown> = {};
  let total = 0;
  let n: number;
  while ((n = blockCount(tap))) {
    // Each entry is a string key (at least its length byte) and a value.
    checkBlock('map', tap, n, 1 + itemWidth(values), total);
    total += n;
    while (n--) {
      const key = tap.readString();
      val[key] = values._read(tap);
    }
  }
  return val;
}

const types = (avro as unknown as { types: Record<'ArrayType' | 'MapType', { prototype: { _read: unknown } }> }).types;
types.ArrayType.prototype._read = guardedArrayRead;
types.MapType.prototype._read = guardedMapRead;
