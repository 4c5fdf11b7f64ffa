/**
 * Waiting for a new topic's partitions to get leaders. kafkajs' own
 * `createTopics({ waitForLeaders: true })` retries only LEADER_NOT_AVAILABLE;
 * a broker that has created the topic but not yet loaded it into its metadata
 * cache answers UNKNOWN_TOPIC_OR_PARTITION for a moment (seen on Kafka 4.1
 * under load), and kafkajs fails the whole call. Both are retriable here.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs, { type Admin } from 'kafkajs';

const { KafkaJSError } = kafkajs;

const LEADERS_WAIT_MS = 30_000;

async function allLed(admin: Admin, topics: string[]): Promise<boolean> {
  const { topics: found } = await admin.fetchTopicMetadata({ topics });
  return found.length === topics.length && found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
}

export async function waitForLeaders(admin: Admin, topics: string[]): Promise<void> {
  const deadline = Date.now() + LEADERS_WAIT_MS;
  for (let wait = 50; ; wait = Math.min(wait * 2, 1_000)) {
    try {
      if (await allLed(admin, topics)) return;
      if (Date.now() + wait > deadline) throw new Error(`topics ${topics.join(', ')} have partitions without a leader after ${LEADERS_WAIT_MS / 1000} s`);
    } catch (err) {
      if (!(err instanceof KafkaJSError && err.retriable) || Date.now() + wait > deadline) throw err;
    }
    await sleep(wait);
  }
}
