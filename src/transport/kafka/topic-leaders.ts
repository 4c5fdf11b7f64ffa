/**
 * Waiting for a new topic's partitions to get leaders. kafkajs' own
 * `createTopics({ waitForLeaders: true })` retries only LEADER_NOT_AVAILABLE;
 * a broker that has created the topic but not yet loaded it into its metadata
 * cache answers UNKNOWN_TOPIC_OR_PARTITION for a moment (seen on Kafka 4.1
 * under load), and kafkajs fails the whole call. Both are retriable here.
 */
import kafkajs, { type Admin } from 'kafkajs';
import { retryTransient } from './retry-transient.ts';

const { KafkaJSError } = kafkajs;

const LEADERS_WAIT_MS = 30_000;

class LeadersMissing extends Error {
  constructor(topics: string[]) {
    super(`topics ${topics.join(', ')} have partitions without a leader after ${LEADERS_WAIT_MS / 1000} s`);
  }
}

async function allLed(admin: Admin, topics: string[]): Promise<void> {
  const { topics: found } = await admin.fetchTopicMetadata({ topics });
  const led = found.length === topics.length && found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
  if (!led) throw new LeadersMissing(topics);
}

export function waitForLeaders(admin: Admin, topics: string[]): Promise<void> {
  const transient = (err: unknown) => err instanceof LeadersMissing || (err instanceof KafkaJSError && err.retriable);
  return retryTransient(() => allLed(admin, topics), transient, LEADERS_WAIT_MS);
}
