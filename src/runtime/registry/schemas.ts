/**
 * Writer schemas from a schema registry, behind the codecs' WriterSchemas
 * interface: each id's schema is fetched once (concurrent misses share one
 * request) and each writer's id once per subject, registered when
 * `auto-register` is on, else looked up. Ids are global in the registry, so
 * the reading side of every subject shares one cache.
 */
import { schemaFromJson, type LoadedSchema, type WriterSchemas } from '../../codecs/index.ts';
import { ErrorCodes, SluiceError } from '../../core/index.ts';
import type { SchemaRegistryClient } from './client.ts';

export type SubjectStrategy = 'topic' | 'record' | 'topic-record';

/** Confluent's TopicNameStrategy, RecordNameStrategy and TopicRecordNameStrategy. */
export function subjectName(strategy: SubjectStrategy, topic: string, schema: LoadedSchema, part: 'key' | 'value' = 'value'): string {
  switch (strategy) {
    case 'topic':
      return `${topic}-${part}`;
    case 'record':
      return schema.name;
    case 'topic-record':
      return `${topic}-${schema.name}`;
  }
}

export class RegistrySchemas {
  readonly #byId = new Map<number, LoadedSchema>();
  readonly #byFingerprint = new Map<string, LoadedSchema>();
  readonly #fetching = new Map<number, Promise<LoadedSchema>>();
  /** `subject\0fingerprint` → id. */
  readonly #ids = new Map<string, number>();

  constructor(
    readonly client: SchemaRegistryClient,
    private readonly autoRegister: boolean,
  ) {}

  /** The writer schemas of one subject (the writing side); the reading side is the same for all. */
  forSubject(subject: string): WriterSchemas {
    return {
      where: this.client.url,
      byId: (id) => this.#byId.get(id),
      byFingerprint: (fp) => this.#byFingerprint.get(fp),
      idOf: (schema) => this.#ids.get(`${subject}\u0000${schema.fingerprint}`),
      fetchById: (id) => this.#fetch(id),
      fetchIdOf: (schema) => this.#idOf(subject, schema),
    };
  }

  #fetch(id: number): Promise<LoadedSchema> {
    const known = this.#byId.get(id);
    if (known !== undefined) return Promise.resolve(known);
    let pending = this.#fetching.get(id);
    if (pending === undefined) {
      pending = this.client
        .schemaById(id)
        .then((text) => {
          const schema = schemaFromJson(parseSchemaText(text, id, this.client.url), `${this.client.url} schema id ${id}`);
          this.#remember(id, schema);
          return schema;
        })
        .finally(() => this.#fetching.delete(id));
      this.#fetching.set(id, pending);
    }
    return pending;
  }

  async #idOf(subject: string, schema: LoadedSchema): Promise<number> {
    const text = JSON.stringify(schema.json);
    let id: number;
    try {
      id = this.autoRegister ? await this.client.register(subject, text) : await this.client.lookup(subject, text);
    } catch (err) {
      if (!(err instanceof SluiceError)) throw err;
      throw err.withContext({ subject, file: schema.path });
    }
    this.#ids.set(`${subject}\u0000${schema.fingerprint}`, id);
    // Reading back what this process wrote needs no request.
    if (!this.#byId.has(id)) this.#remember(id, schema);
    return id;
  }

  #remember(id: number, schema: LoadedSchema): void {
    this.#byId.set(id, schema);
    this.#byFingerprint.set(schema.fingerprint, schema);
  }
}

function parseSchemaText(text: string, id: number, url: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new SluiceError(ErrorCodes.SCHEMA_INVALID, `${url}: schema id ${id} is not JSON: ${(err as Error).message}`, { cause: err, context: { schemaId: id } });
  }
}
