/**
 * A group's committed offsets, as OffsetFetch gives them. While a transaction
 * that commits offsets for the group is still open, the broker answers
 * UNSTABLE_OFFSET_COMMIT: retriable by the protocol (the answer is stable once
 * the transaction ends), but kafkajs' admin passes it straight up. Exactly-once
 * stages keep such transactions open all the time, so every reader of their
 * groups' offsets (a stage resuming partitions, the monitor) waits it out here.
 */
import kafkajs, { type Admin } from 'kafkajs';
import { retryTransient } from './retry-transient.ts';

const { KafkaJSProtocolError } = kafkajs;

/** A transaction stays open at most this long in practice (sluice's are one batch each). */
const UNSTABLE_WAIT_MS = 15_000;

function unstable(err: unknown): boolean {
  return err instanceof KafkaJSProtocolError && err.type === 'UNSTABLE_OFFSET_COMMIT';
}

export function fetchCommittedOffsets(admin: Admin, groupId: string, topics: string[]): ReturnType<Admin['fetchOffsets']> {
  return retryTransient(() => admin.fetchOffsets({ groupId, topics }), unstable, UNSTABLE_WAIT_MS);
}
