/**
 * The published JSON Schema, generated from the same zod schema the validator
 * runs, so editors autocomplete exactly what sluice accepts. Written to
 * schema/topology.schema.json by `npm run gen:schema`.
 */
import { z } from 'zod';
import { TopologyFileSchema } from './schema.ts';

export const SCHEMA_ID = 'https://sluice.dev/schema/topology.schema.json';

/**
 * One-key objects (a step, a source kind) are strict objects whose keys are
 * all optional; JSON Schema gets `minProperties: 1` on steps so an empty `{}`
 * does not autocomplete as valid.
 */
export function topologyJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(TopologyFileSchema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
    override: (ctx) => {
      const json = ctx.jsonSchema as Record<string, unknown>;
      if (json.type === 'object' && json.additionalProperties === false && json.properties !== undefined && json.required === undefined) {
        json.minProperties = 1;
      }
    },
  }) as Record<string, unknown>;
  return { $id: SCHEMA_ID, ...schema };
}

/** The file's text: stable key order and a trailing newline, so regeneration diffs cleanly. */
export function topologyJsonSchemaText(): string {
  return JSON.stringify(topologyJsonSchema(), null, 2) + '\n';
}
