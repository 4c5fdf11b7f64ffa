/**
 * Kafka's default partitioner, as the Java client and kafkajs' default
 * (`Partitioners.DefaultPartitioner`) compute it: `toPositive(murmur2(key)) %
 * partitions` for keyed records, round-robin for keyless ones. The embedded
 * transport uses it so a key lands on the same partition as on a real broker.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's murmur2 (Utils.murmur2), in 32-bit integer arithmetic. */
export function murmur2(data: Buffer): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & ~3;
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) h = Math.imul(h ^ data[tail]!, M);
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h;
}

export function toPositive(x: number): number {
  return x & 0x7fffffff;
}

export function keyBytes(key: Buffer | string): Buffer {
  return typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
}

export function partitionForKey(key: Buffer | string, partitions: number): number {
  return toPositive(murmur2(keyBytes(key))) % partitions;
}

/**
 * Chooses the partition of a record without an explicit one, like kafkajs'
 * default partitioner: key hash, else a per-topic counter from a random start.
 */
export function createPartitioner(): (topic: string, key: Buffer | string | null, partitions: number) => number {
  const counters = new Map<string, number>();
  return (topic, key, partitions) => {
    if (key !== null) return partitionForKey(key, partitions);
    const next = ((counters.get(topic) ?? Math.floor(Math.random() * 0x7fffffff)) + 1) | 0;
    counters.set(topic, next);
    return toPositive(next) % partitions;
  };
}
