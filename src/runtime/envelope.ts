/**
 * A record inside a running stage, with what the runtime needs around it: the
 * offset token that settles its input's commit position, and where it came
 * from (for dead letters and error context). Processors only ever see
 * `record`; the envelope never leaves the stage.
 */
import type { SluiceRecord } from '../core/index.ts';
import type { Completion } from './offsets.ts';
import type { Task } from './task/task.ts';

export interface Provenance {
  /** Topic sources. */
  topic?: string;
  partition?: number;
  offset?: string;
  /** File and stdin sources: where the line stood. */
  file?: string;
  line?: number;
  /** The bytes as they were read, so a dead letter carries the original and can be replayed. */
  rawKey: Buffer | string | null;
  rawValue: Buffer | string | null;
  rawHeaders: Record<string, Buffer | string>;
  timestamp: number;
}

export interface Envelope<V = unknown> {
  record: SluiceRecord<V>;
  /** Undefined for sources without offsets to commit (files, generators). */
  token: Completion | undefined;
  /** The task of the input partition it came from: its stores, its transaction. Sources without partitions have one task. */
  task?: Task | undefined;
  origin: Provenance;
}

/** The same envelope around a new record: outputs of a step share their input's token and origin. */
export function derive<V>(from: Envelope, record: SluiceRecord<V>): Envelope<V> {
  return { record, token: from.token, task: from.task, origin: from.origin };
}
