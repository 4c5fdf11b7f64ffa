import { deserialize, serialize } from 'node:v8';

/** How a typed store view turns its values into bytes and back. */
export interface Serde<V> {
  serialize(value: V): Buffer;
  deserialize(bytes: Buffer): V;
}

/**
 * The structured-clone format: any plain data (objects, arrays, Maps, Dates, bigints) without a schema.
 * Its bytes are tied to V8's serializer version, which newer Node versions still read.
 */
export function v8Serde<V>(): Serde<V> {
  return {
    serialize: (value) => serialize(value),
    deserialize: (bytes) => deserialize(bytes) as V,
  };
}
