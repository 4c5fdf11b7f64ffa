/**
 * Vitest global setup for integration tests: a real schema registry for the run
 * (Confluent REST API base URL), from SCHEMA_REGISTRY_URL or
 * `scripts/registry.sh start` (see script-service.ts).
 */
import { scriptService } from './script-service.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    registryUrl: string;
    registryUnavailable: string;
  }
}

export default scriptService({
  name: 'registry',
  missing: 'no schema registry',
  script: 'registry.sh',
  env: 'SCHEMA_REGISTRY_URL',
  provides: 'registryUrl',
  unavailable: 'registryUnavailable',
});
