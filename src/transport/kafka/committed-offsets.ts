/**
 * A group's committed offsets, as OffsetFetch gives them. While a transaction
 * that commits offsets for the group is still open, the broker answers
 * UNSTABLE_OFFSET_COMMIT: retriable by the protocol (the answer is stable once
 * the transaction ends), but kafkajs' admin passes it straight up. Exactly-once
 * stages keep such transactions open all the time, so every reader of their
 * groups' offsets (a stage resuming partitions, the monitor) waits it out here.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs, { type Admin } from 'kafkajs';

const { KafkaJSProtocolError } = kafkajs;

/** A transaction stays open at most this long in practice (sluice's are one batch each). */
const UNSTABLE_WAIT_MS = 15_000;

function unstable(err: unknown): boolean {
  return err instanceof KafkaJSProtocolError && err.type === 'UNSTABLE_OFFSET_COMMIT';
}

export async function fetchCommittedOffsets(admin: Admin, groupId: string, topics: string[]): ReturnType<Admin['fetchOffsets']> {
  const deadline = Date.now() + UNSTABLE_WAIT_MS;
  for (let wait = 50; ; wait = Math.min(wait * 2, 1_000)) {
    try {
      return await admin.fetchOffsets({ groupId, topics });
    } catch (err) {
      if (!unstable(err) || Date.now() + wait > deadline) throw err;
      await sleep(wait);
    }
  }
}
