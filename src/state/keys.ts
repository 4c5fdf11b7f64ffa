/**
 * Key layout of a store: a one-byte namespace first, so key-value entries, windows and the task's
 * meta entries share one store and one changelog without colliding.
 */
export const Namespace = { kv: 0x01, window: 0x02, meta: 0x03 } as const;
export type Namespace = (typeof Namespace)[keyof typeof Namespace];

/** [from, to) covering every key of a namespace. */
export function namespaceRange(ns: Namespace): [Buffer, Buffer] {
  return [Buffer.of(ns), Buffer.of(ns + 1)];
}

function prefixed(ns: Namespace, body: string): Buffer {
  const key = Buffer.allocUnsafe(1 + Buffer.byteLength(body));
  key[0] = ns;
  key.write(body, 1, 'utf8');
  return key;
}

export function kvKey(key: string): Buffer {
  return prefixed(Namespace.kv, key);
}

export function decodeKvKey(key: Buffer): string {
  return key.toString('utf8', 1);
}

export function metaKey(name: string): Buffer {
  return prefixed(Namespace.meta, name);
}

const START_BYTES = 8;
const SIGN_FLIP = 2n ** 63n;

/**
 * The window namespace byte and a start time as 8 bytes that sort as the numbers do: the int64 with
 * its sign bit flipped, big-endian (so starts before 1970 sort before later ones too).
 */
export function windowStartPrefix(start: number): Buffer {
  if (!Number.isSafeInteger(start)) throw new RangeError(`a window start must be an integer of ms, got ${start}`);
  const prefix = Buffer.allocUnsafe(1 + START_BYTES);
  prefix[0] = Namespace.window;
  prefix.writeBigUInt64BE(BigInt(start) + SIGN_FLIP, 1);
  return prefix;
}

/** Time first, then the key: windows sort by start, so the oldest are reached without reading open ones. */
export function windowKey(key: string, start: number): Buffer {
  return Buffer.concat([windowStartPrefix(start), Buffer.from(key, 'utf8')]);
}

export function decodeWindowKey(stored: Buffer): { key: string; start: number } {
  return {
    start: Number(stored.readBigUInt64BE(1) - SIGN_FLIP),
    key: stored.toString('utf8', 1 + START_BYTES),
  };
}

/** The user-key bytes of a stored window key, for comparing without decoding. */
export function windowKeyBytes(stored: Buffer): Buffer {
  return stored.subarray(1 + START_BYTES);
}
