import { z } from 'zod';

/** A user module named in a topology file: a path relative to the file and an export. */
export interface ModuleRef {
  /** Relative to the topology file as written; absolute once the topology is loaded. */
  readonly module: string;
  readonly export: string;
}

export const ModuleRefSchema = z
  .strictObject({
    module: z.string().min(1).meta({ description: 'Path of a .ts/.js module, relative to the topology file.' }),
    export: z
      .string()
      .regex(/^[A-Za-z_$][\w$]*$/, 'an export name is a JavaScript identifier')
      .optional()
      .meta({ description: 'The export to use (default: `default`).' }),
  })
  .transform((m): ModuleRef => ({ module: m.module, export: m.export ?? 'default' }));
