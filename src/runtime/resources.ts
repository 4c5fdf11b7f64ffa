/**
 * What the stages of one topology share in a process: loaded Avro schemas, the
 * key ring (only when some chain encrypts), the schema registry client or
 * local schema directory, and codec chains, each built once.
 * Chains and schemas are pure and immutable, so every stage instance may share
 * them; streams are never shared.
 */
import {
  createCodecChain,
  KeyRing,
  loadSchemaDirectory,
  loadSchemaFile,
  parseCodecChain,
  type CodecChain,
  type LoadedSchema,
  type SchemaDirectory,
  type WriterSchemas,
} from '../codecs/index.ts';
import { ErrorCodes, SluiceError } from '../core/index.ts';
import type { SchemaRegistryConfig, Topology } from '../topology/index.ts';
import { registryAuthOf, SchemaRegistryClient } from './registry/client.ts';
import { RegistrySchemas, subjectName } from './registry/schemas.ts';

export interface ResourceOptions {
  /** Where aes-gcm keys come from: a key file path, else the SLUICE_KEYS environment variable. */
  keyFile?: string;
  env?: NodeJS.ProcessEnv;
  /** A schema registry URL overriding the topology's `schema-registry.url` (`--schema-registry`). */
  schemaRegistry?: string;
}

export class TopologyResources {
  readonly #schemas = new Map<string, LoadedSchema>();
  readonly #chains = new Map<string, CodecChain>();
  #keys: KeyRing | undefined;
  #registry: RegistrySchemas | undefined;
  #directory: SchemaDirectory | undefined;
  readonly #subject: SchemaRegistryConfig['subject'];

  private constructor(
    readonly topology: Topology,
    private readonly options: ResourceOptions,
  ) {
    this.#subject = topology.schemaRegistry?.subject ?? 'topic';
  }

  static async load(topology: Topology, options: ResourceOptions = {}): Promise<TopologyResources> {
    const resources = new TopologyResources(topology, options);
    for (const [name, ref] of Object.entries(topology.schemas)) {
      resources.#schemas.set(name, await loadSchemaFile(ref.path));
    }
    const specs = new Set<string>();
    for (const topic of Object.values(topology.topics)) specs.add(topic.codec);
    for (const node of topology.nodes) {
      if (node.codec !== undefined) specs.add(node.codec);
      const out = node.output;
      if ((out.kind === 'file' || out.kind === 'stdout') && out.codec !== undefined) specs.add(out.codec);
    }
    if ([...specs].some((s) => parseCodecChain(s).includes('aes-gcm'))) {
      resources.#keys = options.keyFile !== undefined ? await KeyRing.fromFile(options.keyFile) : KeyRing.fromEnv(undefined, options.env);
    }
    const config = topology.schemaRegistry;
    const url = options.schemaRegistry ?? config?.url;
    if (url !== undefined) {
      const client = new SchemaRegistryClient({ url, ...(config?.auth !== undefined ? { auth: registryAuthOf(config.auth) } : {}) });
      resources.#registry = new RegistrySchemas(client, config?.autoRegister ?? true);
    } else if (config?.dir !== undefined) {
      resources.#directory = await loadSchemaDirectory(config.dir);
    }
    return resources;
  }

  schema(name: string | undefined): LoadedSchema | undefined {
    if (name === undefined) return undefined;
    const schema = this.#schemas.get(name);
    if (schema === undefined) {
      throw new SluiceError(ErrorCodes.SCHEMA_NOT_FOUND, `schema \`${name}\` is not declared under \`schemas\``, {
        context: { file: this.topology.file },
      });
    }
    return schema;
  }

  /** The schema registry (with its cache), when one is configured. */
  get registry(): RegistrySchemas | undefined {
    return this.#registry;
  }

  /**
   * A chain for `spec` writing with `writer` and, when given, reading into
   * `reader`. `topic` names the registry subject the writer's id is kept under
   * (without one, the record's full name).
   */
  chain(spec: string, writer?: string, reader?: string, topic?: string): CodecChain {
    const confluent = parseCodecChain(spec)[0] === 'avro-confluent';
    const id = `${spec}\u0000${writer ?? ''}\u0000${reader ?? ''}\u0000${confluent ? (topic ?? '') : ''}`;
    let chain = this.#chains.get(id);
    if (chain === undefined) {
      const schema = this.schema(writer);
      const readerSchema = reader !== undefined && reader !== writer ? this.schema(reader) : undefined;
      const schemas = confluent ? this.#writerSchemas(schema, topic) : undefined;
      chain = createCodecChain(spec, {
        ...(schema !== undefined ? { schema } : {}),
        ...(readerSchema !== undefined ? { readerSchema } : {}),
        ...(schemas !== undefined ? { schemas } : {}),
        ...(this.#keys !== undefined ? { keys: this.#keys } : {}),
      });
      this.#chains.set(id, chain);
    }
    return chain;
  }

  /** The chain a topic's records are written with. */
  topicChain(topic: string, reader?: string): CodecChain {
    const spec = this.topology.topics[topic];
    if (spec === undefined) {
      throw new SluiceError(ErrorCodes.TOPOLOGY_INVALID, `topic \`${topic}\` is not part of topology ${this.topology.name}`);
    }
    return this.chain(spec.codec, spec.schema, reader, topic);
  }

  #writerSchemas(writer: LoadedSchema | undefined, topic: string | undefined): WriterSchemas | undefined {
    if (this.#registry === undefined) return this.#directory;
    // A decode-only chain has no writer: every subject shares the registry's id cache, so any subject serves.
    if (writer === undefined) return this.#registry.forSubject(topic ?? '');
    return this.#registry.forSubject(topic === undefined ? writer.name : subjectName(this.#subject, topic, writer));
  }
}
