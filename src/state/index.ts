/**
 * Durable state stores for tasks: bytes in a backend (LMDB on disk, or memory) under a write cache
 * whose snapshots the runtime writes to a compacted changelog topic and restores from. This layer
 * knows nothing of Kafka, topologies or the runtime.
 */
export { MAX_KEY_BYTES, type ChangelogEntry, type StoreBackend } from './backend.ts';
export { openBackend, type BackendSpec } from './open.ts';
export { STORE_FORMAT_VERSION } from './lmdb-backend.ts';
export { CachedStore } from './cached-store.ts';
export { KeyValueStore } from './kv-store.ts';
export { WindowStore, type WindowEntry, type WindowStoreOptions } from './window-store.ts';
export { TaskMeta } from './meta.ts';
export { metaKey } from './keys.ts';
export { v8Serde, type Serde } from './serde.ts';
