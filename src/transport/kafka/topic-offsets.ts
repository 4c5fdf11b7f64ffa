/**
 * kafkajs' `admin.fetchTopicOffsets` for a topic just created: until the
 * metadata cache has its partitions, kafkajs fails inside itself with a
 * TypeError (it destructures an answer for no partitions). That passes once
 * the metadata arrives, so it is waited out, briefly, like the topic leaders.
 */
import type { Admin } from 'kafkajs';
import { ErrorCodes, isSluiceError } from '../../core/index.ts';
import { kafkaCall } from './errors.ts';
import { retryTransient } from './retry-transient.ts';

type TopicOffsets = Awaited<ReturnType<Admin['fetchTopicOffsets']>>;

function metadataNotYet(err: unknown): boolean {
  const cause = (err as { cause?: unknown }).cause ?? err;
  return cause instanceof TypeError || (isSluiceError(err) && err.retriable);
}

export function fetchTopicOffsets(admin: Admin, topic: string, code: (typeof ErrorCodes)[keyof typeof ErrorCodes] = ErrorCodes.CONSUME): Promise<TopicOffsets> {
  return retryTransient(() => kafkaCall(code, { topic }, () => admin.fetchTopicOffsets(topic)), metadataNotYet, 10_000);
}
