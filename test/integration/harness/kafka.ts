import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { Kafka, logLevel, type Admin } from 'kafkajs';

/** The bootstrap address of the run's broker; fails the calling test with the reason when there is none. */
export function brokers(): string[] {
  const unavailable = inject('kafkaUnavailable');
  if (unavailable) throw new Error(unavailable);
  return inject('kafkaBrokers').split(',');
}

/** A name no other test (or earlier run against the same broker) uses, so tests run in parallel. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export function kafka(clientId = 'sluice-test'): Kafka {
  return new Kafka({ clientId, brokers: brokers(), logLevel: logLevel.NOTHING });
}

export async function withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka('sluice-test-admin').admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

export async function createTopic(name: string, partitions: number): Promise<void> {
  await withAdmin(async (admin) => {
    await admin.createTopics({ topics: [{ topic: name, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  });
}
