import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import avro, { type Schema, type Type } from 'avsc';
import { ErrorCodes, SluiceError, isSluiceError, readRegularFile } from '../core/index.ts';
import './avro-limits.ts';
import { jsonErrorOffset, positionAt } from './json-position.ts';
import { logicalTypes } from './logical-types.ts';
import type { WriterSchemas } from './types.ts';

/** An Avro schema read from an `.avsc` file, ready to encode and decode. */
export interface LoadedSchema {
  type: Type;
  /** Full name of a named type (`com.example.User`), else the type name (`string`, `array`). */
  name: string;
  /** SHA-256 (hex) of the schema's Parsing Canonical Form: equal for schemas that encode alike. */
  fingerprint: string;
  path: string;
  json: unknown;
}

/** Turns parsed schema JSON into a type with sluice's logical types. Throws avsc's plain Error. */
function createAvroType(json: unknown): Type {
  return avro.Type.forSchema(json as Schema, { logicalTypes, assertLogicalTypes: true });
}

function fingerprintOf(type: Type): string {
  // avsc's schema() without attributes is the Parsing Canonical Form.
  return createHash('sha256').update(JSON.stringify(type.schema())).digest('hex');
}

function describeSchema(type: Type, json: unknown, path: string): LoadedSchema {
  return { type, name: type.name ?? type.typeName, fingerprint: fingerprintOf(type), path, json };
}

/** A schema from JSON already in memory (tests, inline schemas); `path` only names it in errors. */
export function schemaFromJson(json: unknown, path = '<inline>'): LoadedSchema {
  try {
    return describeSchema(createAvroType(json), json, path);
  } catch (err) {
    throw new SluiceError(ErrorCodes.SCHEMA_INVALID, `${path}: invalid Avro schema: ${(err as Error).message}`, {
      cause: err,
      context: { file: path },
    });
  }
}

/**
 * The largest `.avsc` file read. Real schemas are kilobytes; parsing one costs
 * far more memory than its size (`sluice validate` took 1.35 GB for 79 MB).
 */
export const MAX_SCHEMA_BYTES = 2 * 1024 * 1024;

/** Reads and parses an `.avsc` file; a FIFO, device or file over MAX_SCHEMA_BYTES is SLUICE_ERR_FILE_REFUSED. */
export async function loadSchemaFile(path: string): Promise<LoadedSchema> {
  let text: string;
  try {
    text = (await readRegularFile(path, MAX_SCHEMA_BYTES, 'schema file')).toString('utf8');
  } catch (err) {
    if (isSluiceError(err)) throw err;
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new SluiceError(ErrorCodes.SCHEMA_NOT_FOUND, `schema file ${path}: ${reason}`, {
      cause: err,
      context: { file: path },
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const offset = jsonErrorOffset(text);
    const where = offset === undefined ? undefined : positionAt(text, offset);
    const at = where === undefined ? '' : `:${where.line}:${where.column}`;
    throw new SluiceError(ErrorCodes.SCHEMA_INVALID, `${path}${at}: not valid JSON: ${(err as Error).message}`, {
      cause: err,
      context: { file: path, ...(where === undefined ? {} : { line: where.line, column: where.column }) },
    });
  }
  return schemaFromJson(json, path);
}

/**
 * Can a reader on `reader` read data written with `writer`? Follows the Avro
 * resolution rules (field defaults, promotions, aliases, enum defaults).
 */
export function checkReadable(reader: Type, writer: Type): { ok: true } | { ok: false; reason: string } {
  try {
    reader.createResolver(writer);
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}

/**
 * A local schema directory: the stand-in for a schema registry. Every `*.avsc`
 * file in it is loaded; a file whose name starts with digits (`42.avsc`,
 * `42-user.avsc`) gets that number as its schema id for the Confluent wire
 * format. Writer schemas are found by id or by fingerprint.
 */
export class SchemaDirectory implements WriterSchemas {
  private readonly ids = new Map<number, LoadedSchema>();
  private readonly fingerprints = new Map<string, LoadedSchema>();
  private readonly idsByFingerprint = new Map<string, number>();

  constructor(
    readonly dir: string,
    entries: Iterable<{ id?: number; schema: LoadedSchema }>,
  ) {
    for (const { id, schema } of entries) {
      this.fingerprints.set(schema.fingerprint, schema);
      if (id === undefined) continue;
      const clash = this.ids.get(id);
      if (clash !== undefined) {
        throw new SluiceError(ErrorCodes.SCHEMA_INVALID, `schema id ${id} is used by both ${clash.path} and ${schema.path}`, {
          context: { file: schema.path },
        });
      }
      this.ids.set(id, schema);
      this.idsByFingerprint.set(schema.fingerprint, id);
    }
  }

  get where(): string {
    return this.dir;
  }

  byId(id: number): LoadedSchema | undefined {
    return this.ids.get(id);
  }

  byFingerprint(fingerprint: string): LoadedSchema | undefined {
    return this.fingerprints.get(fingerprint);
  }

  idOf(schema: LoadedSchema): number | undefined {
    return this.idsByFingerprint.get(schema.fingerprint);
  }
}

const SCHEMA_ID_PREFIX = /^(\d+)(?:[-_.].*)?\.avsc$/;

export async function loadSchemaDirectory(dir: string): Promise<SchemaDirectory> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new SluiceError(ErrorCodes.SCHEMA_NOT_FOUND, `schema directory ${dir}: ${(err as Error).message}`, {
      cause: err,
      context: { file: dir },
    });
  }
  const files = names.filter((name) => name.endsWith('.avsc')).sort();
  const entries = await Promise.all(
    files.map(async (name) => {
      const schema = await loadSchemaFile(join(dir, name));
      const digits = SCHEMA_ID_PREFIX.exec(name)?.[1];
      return digits === undefined ? { schema } : { id: Number(digits), schema };
    }),
  );
  return new SchemaDirectory(resolve(dir), entries);
}
