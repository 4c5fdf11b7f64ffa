/**
 * Loading user modules named in a topology. The module is imported by file
 * URL, never by the raw specifier, after its path is confined to the
 * topology's folder; TypeScript modules load through tsx, which the CLI
 * registers (vitest loads them natively). Importing runs the module's
 * top-level code with the user's privileges, so checks that must not run it
 * (`sluice validate` without `--load-modules`) stop at `checkModuleFile`.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ErrorCodes, SluiceError } from '../core/index.ts';
import { isAggregator, isProcessor, type Aggregator, type Processor } from './define.ts';
import { resolveInside } from './paths.ts';

export const moduleExtensions: readonly string[] = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];

function loadError(file: string, exportName: string, message: string, cause?: unknown): SluiceError {
  return new SluiceError(ErrorCodes.MODULE_LOAD, message, {
    ...(cause !== undefined ? { cause } : {}),
    context: { file, export: exportName },
  });
}

/**
 * Everything short of importing: the module stays inside `root`, has a module
 * extension and is a file. Returns its real path; runs none of its code.
 */
export async function checkModuleFile(file: string, exportName: string, root: string): Promise<string> {
  const confined = await resolveInside(root, root, file);
  if (!confined.ok) throw loadError(file, exportName, confined.reason);
  const real = confined.path;
  if (!moduleExtensions.includes(path.extname(real))) {
    throw loadError(file, exportName, `\`${path.basename(file)}\` is not a module; use one of ${moduleExtensions.join(', ')}`);
  }
  const info = await stat(real).catch(() => null);
  if (info === null || !info.isFile()) throw loadError(file, exportName, `module ${file} does not exist`);
  return real;
}

async function importExport(file: string, exportName: string, root: string): Promise<unknown> {
  const real = await checkModuleFile(file, exportName, root);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(real).href)) as Record<string, unknown>;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const hint = /Unknown file extension "\.[mc]?ts"/.test(reason) ? ' (TypeScript modules need the sluice CLI, which registers tsx)' : '';
    throw loadError(file, exportName, `module ${file} failed to load: ${reason}${hint}`, err);
  }
  if (!(exportName in mod) || mod[exportName] === undefined) {
    const names = Object.keys(mod).filter((k) => mod[k] !== undefined);
    throw loadError(
      file,
      exportName,
      `module ${file} has no export \`${exportName}\`` + (names.length > 0 ? `; it exports ${names.map((n) => `\`${n}\``).join(', ')}` : ''),
    );
  }
  return mod[exportName];
}

/** Imports a processor made with defineProcessor, refusing paths outside `root`. */
export async function loadProcessorModule(file: string, exportName: string, root: string): Promise<Processor> {
  const value = await importExport(file, exportName, root);
  if (!isProcessor(value)) {
    throw loadError(file, exportName, `export \`${exportName}\` of ${file} is not a processor; wrap the function: \`export default defineProcessor((value, ctx) => ...)\``);
  }
  return value;
}

/** Imports an aggregator made with defineAggregator, refusing paths outside `root`. */
export async function loadAggregatorModule(file: string, exportName: string, root: string): Promise<Aggregator> {
  const value = await importExport(file, exportName, root);
  if (!isAggregator(value)) {
    throw loadError(file, exportName, `export \`${exportName}\` of ${file} is not an aggregator; build it with \`defineAggregator({ init, add, result })\``);
  }
  return value;
}
