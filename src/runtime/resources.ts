/**
 * What the stages of one topology share in a process: loaded Avro schemas, the
 * key ring (only when some chain encrypts), and codec chains, each built once.
 * Chains and schemas are pure and immutable, so every stage instance may share
 * them; streams are never shared.
 */
import { createCodecChain, KeyRing, loadSchemaFile, parseCodecChain, type CodecChain, type LoadedSchema } from '../codecs/index.ts';
import { ErrorCodes, SluiceError } from '../core/index.ts';
import type { Topology } from '../topology/index.ts';

export interface ResourceOptions {
  /** Where aes-gcm keys come from: a key file path, else the SLUICE_KEYS environment variable. */
  keyFile?: string;
  env?: NodeJS.ProcessEnv;
}

export class TopologyResources {
  readonly #schemas = new Map<string, LoadedSchema>();
  readonly #chains = new Map<string, CodecChain>();
  #keys: KeyRing | undefined;

  private constructor(
    readonly topology: Topology,
    private readonly options: ResourceOptions,
  ) {}

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

  /** A chain for `spec` writing with `writer` and, when given, reading into `reader`. */
  chain(spec: string, writer?: string, reader?: string): CodecChain {
    const id = `${spec}\u0000${writer ?? ''}\u0000${reader ?? ''}`;
    let chain = this.#chains.get(id);
    if (chain === undefined) {
      const schema = this.schema(writer);
      const readerSchema = reader !== undefined && reader !== writer ? this.schema(reader) : undefined;
      chain = createCodecChain(spec, {
        ...(schema !== undefined ? { schema } : {}),
        ...(readerSchema !== undefined ? { readerSchema } : {}),
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
    return this.chain(spec.codec, spec.schema, reader);
  }
}
