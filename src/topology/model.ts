/**
 * The validated topology: plain, frozen data that the runtime and the
 * coordinator read. Paths are absolute and inside the topology's root; every
 * default is filled in; nothing here is a stream or a live object, so a
 * runtime builds fresh stages from it for every instance it starts.
 */
import type { Route, Step, StreamJoinSpec, WindowedAggregate } from '../processors/index.ts';
import type { KafkaClient } from '../transport/clients.ts';
import type { FileFormat, SinkMode } from './schema.ts';

export type Compression = 'none' | 'gzip' | 'lz4' | 'snappy';
export type Guarantee = 'at-least-once' | 'exactly-once';

export interface SchemaRef {
  readonly name: string;
  /** Absolute path of the `.avsc` file. */
  readonly path: string;
}

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly replication: number;
  readonly cleanup: 'delete' | 'compact';
  /** Milliseconds; -1 keeps records forever; absent leaves the broker's default. */
  readonly retentionMs?: number;
  readonly schema?: string;
  readonly codec: string;
  readonly compression: Compression;
  /** False for topics only named by a node (`to`, `branch`, `dead-letter`): created with the defaults. */
  readonly declared: boolean;
  /** Named as some node's `dead-letter`: it holds failed records' original bytes and headers, not `codec` output. */
  readonly deadLetter: boolean;
  /**
   * Between the halves of a split window (repartition.ts): kept forever, since its records carry their
   * input's event times and time-based retention would delete old ones unread; its reader deletes what
   * it has committed instead.
   */
  readonly repartition: boolean;
}

export interface Encoding {
  readonly format: FileFormat;
  readonly codec?: string;
  readonly schema?: string;
}

/** An HTTP endpoint records are POSTed to, with its request policy and limits (defaults in the runtime). */
export interface HttpInput {
  readonly kind: 'http';
  readonly port: number;
  readonly path: string;
  readonly host?: string;
  readonly timestamp?: string;
  readonly token?: string;
  readonly allowHosts?: readonly string[];
  readonly allowOrigins?: readonly string[];
  readonly insecureNoToken?: boolean;
  readonly maxBodyBytes?: number;
  readonly maxInFlightBytes?: number;
  readonly requestTimeoutMs?: number;
}

export type NodeInput =
  | { readonly kind: 'topics'; readonly topics: readonly string[] }
  | ({ readonly kind: 'file'; readonly path: string; readonly timestamp?: string } & Encoding)
  | ({ readonly kind: 'stdin'; readonly timestamp?: string } & Encoding)
  | {
      readonly kind: 'generator';
      readonly schema: string;
      readonly ratePerSecond?: number;
      readonly count?: number;
      readonly seed?: number;
      readonly timestamp?: string;
    }
  | HttpInput;

export type NodeOutput =
  | { readonly kind: 'topic'; readonly topic: string }
  | { readonly kind: 'branch'; readonly routes: readonly Route[] }
  | ({ readonly kind: 'file'; readonly path: string; readonly mode: SinkMode } & Encoding)
  | ({ readonly kind: 'stdout' } & Encoding);

export interface RetrySpec {
  readonly attempts: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
}

export type Trigger = { readonly kind: 'always' } | { readonly kind: 'cron'; readonly cron: string };

export interface TopologyNode {
  readonly id: string;
  readonly description?: string;
  readonly input: NodeInput;
  /** The schema the node reads its input topic with, when it differs from the topic's. */
  readonly schema?: string;
  /** Module steps carry absolute paths. */
  readonly process: readonly Step[];
  readonly window?: WindowedAggregate;
  /** A stream join: `join.stream` is one of `input.topics`, the right side; the others are the left. */
  readonly join?: StreamJoinSpec;
  readonly output: NodeOutput;
  readonly deadLetter?: string;
  readonly instances: number;
  readonly guarantee: Guarantee;
  readonly trigger: Trigger;
  /** Codec chain of the output, when the node overrides its topic's. */
  readonly codec?: string;
  readonly retries: RetrySpec;
  /** How long a task of several input topics waits for a caught-up partner partition (`max-task-idle`, default 0). */
  readonly maxTaskIdleMs: number;
  /** Topics read and written (dead-letter excluded), for graph walks. */
  readonly reads: readonly string[];
  readonly writes: readonly string[];
  /** Where the node is defined, for runtime errors that point back at the file. */
  readonly line: number;
  readonly column: number;
}

export interface KafkaConfig {
  readonly brokers: readonly string[];
  readonly clientId?: string;
  readonly client?: KafkaClient;
  readonly ssl: boolean;
  readonly sasl?: { readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; readonly username: string; readonly password?: string };
}

/** Where `avro-confluent` topics find schema ids: a registry (`url`) or a local directory (`dir`, absolute). */
export interface SchemaRegistryConfig {
  readonly url?: string;
  readonly dir?: string;
  readonly subject: 'topic' | 'record' | 'topic-record';
  readonly autoRegister: boolean;
  readonly auth?: { readonly username: string; readonly password: string } | { readonly token: string };
}

/** Vertex ids are stable across runs and shared by the SVG, so a status page can find them. */
export type VertexKind = 'stage' | 'topic' | 'source' | 'sink';

export interface Vertex {
  /** `node-<id>`, `topic-<name>`, `source-<node id>`, `sink-<node id>`. */
  readonly id: string;
  readonly kind: VertexKind;
  readonly name: string;
}

export type EdgeKind = 'read' | 'write' | 'dead-letter';

export interface Edge {
  /** `edge-<from vertex>--<to vertex>`. */
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly kind: EdgeKind;
  /** The branch condition, on edges from a branching node; a join`s label (joinLabel) on the edge from its other side (a table, a joined stream). */
  readonly label?: string;
}

export interface Topology {
  readonly name: string;
  readonly description?: string;
  /** Absolute path of the topology file, its folder, and the root every path must stay in. */
  readonly file: string;
  readonly dir: string;
  readonly root: string;
  readonly kafka?: KafkaConfig;
  readonly schemaRegistry?: SchemaRegistryConfig;
  readonly schemas: Readonly<Record<string, SchemaRef>>;
  readonly topics: Readonly<Record<string, TopicSpec>>;
  readonly nodes: readonly TopologyNode[];
  readonly vertices: readonly Vertex[];
  readonly edges: readonly Edge[];
}
