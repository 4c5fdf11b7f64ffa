import { createLogger, type Logger } from '../core/index.ts';
import type { StoreBackend } from './backend.ts';
import { openLmdbBackend } from './lmdb-backend.ts';
import { MemoryBackend } from './memory-backend.ts';

/** `dir` is the store's own directory (`<stateDir>/<topology>/<node>/<task>/<store>`). */
export type BackendSpec = { kind: 'memory' } | { kind: 'lmdb'; dir: string; logger?: Logger };

export async function openBackend(spec: BackendSpec): Promise<StoreBackend> {
  switch (spec.kind) {
    case 'memory':
      return new MemoryBackend();
    case 'lmdb':
      return openLmdbBackend(spec.dir, spec.logger ?? createLogger({ component: 'state' }));
  }
}
