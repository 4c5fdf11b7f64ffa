/**
 * Vitest global setup for integration tests: a real Kafka broker for the run,
 * from KAFKA_BROKERS or `scripts/kafka.sh start` (see script-service.ts).
 */
import { scriptService } from './script-service.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    kafkaUnavailable: string;
  }
}

export default scriptService({
  name: 'kafka',
  missing: 'no Kafka broker',
  script: 'kafka.sh',
  env: 'KAFKA_BROKERS',
  provides: 'kafkaBrokers',
  unavailable: 'kafkaUnavailable',
});
