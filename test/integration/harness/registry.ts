import { inject } from 'vitest';

/** The run's schema registry (Confluent REST API base URL); fails the calling test with the reason when there is none. */
export function registryUrl(): string {
  const unavailable = inject('registryUnavailable');
  if (unavailable) throw new Error(unavailable);
  return inject('registryUrl');
}
