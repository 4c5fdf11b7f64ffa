/**
 * What a coordinator and a stage instance in a worker thread or child process
 * say to each other. Only plain data crosses: the worker loads the topology
 * file itself and builds its own Stage, so no stream is ever shared.
 */
import type { StageReport } from '../runtime/index.ts';
import type { KafkaClient, KafkaSecurity } from '../transport/index.ts';
import type { InstanceAnswer, StoreRestore } from './query.ts';

export interface InstanceParams {
  file: string;
  /** Stage id in the expanded topology (`<node>.window` for a split window's second half). */
  stage: string;
  instance: number;
  brokers: string[];
  /** TLS and SASL, credentials included: never on a command line (see host.ts). */
  security?: KafkaSecurity;
  client?: KafkaClient;
  namespace: string;
  clientId: string;
  commitIntervalMs?: number;
  sessionTimeoutMs?: number;
  keyFile?: string;
  schemaRegistry?: string;
  logLevel: string;
  /** The stage reads stdin: the coordinator's own stdin is handed to it. */
  readsStdin?: boolean;
  /**
   * Its file or counted generator source ignores the stored position and
   * reads from the start. Given to an instance's first life only: a restart
   * after a crash continues from what that life committed.
   */
  fromStart?: boolean;
  /** Where its state stores keep local copies; in memory when undefined. */
  stateDir?: string | undefined;
}

/**
 * Worker → coordinator. A report also says which partitions (tasks) the
 * instance holds and how its stores' restores stand, so the coordinator
 * routes a query to the instance holding its key and shows restore progress.
 */
export type InstanceMessage =
  | { type: 'started' }
  | { type: 'report'; report: StageReport; partitions: number[]; restores: StoreRestore[] }
  | { type: 'finished'; report: StageReport }
  | { type: 'crashed'; report?: StageReport; code?: string; message: string }
  | { type: 'answer'; id: number; answer: InstanceAnswer }
  | { type: 'answer'; id: number; error: { message: string; code?: string } };

/** Coordinator → worker. */
export type ControlMessage = { type: 'stop' } | { type: 'crash'; reason: string } | { type: 'query'; id: number; store: string; key: string };

/** The environment variable a child-process instance finds its InstanceParams in (JSON). */
export const PARAMS_ENV = 'SLUICE_INSTANCE_PARAMS';

/** How often a running instance reports its counts. */
export const REPORT_INTERVAL_MS = 500;
