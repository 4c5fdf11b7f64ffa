/**
 * Checks that open files: Avro schemas load and are compatible along the
 * graph, user modules import and export what the topology names, input files
 * exist. They run only on paths already confined to the root.
 */
import { access } from 'node:fs/promises';
import { checkReadable, loadSchemaFile, type LoadedSchema } from '../codecs/index.ts';
import { ErrorCodes, isSluiceError, type ErrorCode } from '../core/index.ts';
import { checkModuleFile, loadAggregatorModule, loadProcessorModule } from '../processors/index.ts';
import type { Draft } from './build.ts';
import type { TopologyNode } from './model.ts';
import type { PathSegment } from './problems.ts';
import type { ReportOptions } from './reporter.ts';

export interface FileCheckOptions {
  /** Import user modules to check their exports (runs their top-level code); else only check their files. */
  loadModules: boolean;
  escaped: ReadonlySet<string>;
  report: (code: ErrorCode, path: PathSegment[], message: string, options?: ReportOptions) => void;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function loadSchemas(draft: Draft, opts: FileCheckOptions): Promise<Map<string, LoadedSchema>> {
  const loaded = new Map<string, LoadedSchema>();
  await Promise.all(
    Object.values(draft.schemas).map(async (ref) => {
      if (opts.escaped.has(ref.path)) return;
      try {
        loaded.set(ref.name, await loadSchemaFile(ref.path));
      } catch (err) {
        const code = isSluiceError(err) ? err.code : ErrorCodes.SCHEMA_INVALID;
        opts.report(code, ['schemas', ref.name], `schema \`${ref.name}\`: ${messageOf(err)}`);
      }
    }),
  );
  return loaded;
}

/** Steps that hand records on with the same shape, so the output topic must read the input's schema. */
function preservesShape(n: TopologyNode): boolean {
  return n.window === undefined && n.process.every((s) => s.kind === 'filter' || s.kind === 'key');
}

/** The schema the node's input was written with, when one is known. */
function writerSchemaName(n: TopologyNode, draft: Draft): string | undefined {
  switch (n.input.kind) {
    case 'topics':
      return draft.topics[n.input.topics[0] as string]?.schema;
    case 'file':
    case 'stdin':
    case 'generator':
      return n.input.schema;
    case 'http':
      return undefined;
  }
}

function checkCompatibility(draft: Draft, schemas: Map<string, LoadedSchema>, opts: FileCheckOptions): void {
  const schemaOf = (name: string | undefined): LoadedSchema | undefined => (name === undefined ? undefined : schemas.get(name));
  for (const n of draft.nodes) {
    if (n.input.kind === 'topics' && n.schema !== undefined) {
      const reader = schemaOf(n.schema);
      for (const t of n.input.topics) {
        const writerName = draft.topics[t]?.schema;
        const writer = schemaOf(writerName);
        if (reader === undefined || writer === undefined) continue;
        const verdict = checkReadable(reader.type, writer.type);
        if (!verdict.ok) {
          opts.report(ErrorCodes.SCHEMA_INCOMPATIBLE, ['nodes', n.id, 'schema'],
            `node \`${n.id}\` reads topic \`${t}\` (written with schema \`${writerName}\`) using schema \`${n.schema}\`, which cannot read it: ${verdict.reason}`,
            { hint: 'make the reader schema compatible (new fields need defaults), or read with the topic’s schema' });
        }
      }
    }
    if (!preservesShape(n)) continue;
    const inputName = n.schema ?? writerSchemaName(n, draft);
    const input = schemaOf(inputName);
    if (input === undefined) continue;
    const outputs = n.output.kind === 'topic' ? [n.output.topic] : n.output.kind === 'branch' ? n.writes : [];
    for (const t of outputs) {
      const outName = draft.topics[t]?.schema;
      const out = schemaOf(outName);
      if (out === undefined || outName === inputName) continue;
      const verdict = checkReadable(out.type, input.type);
      if (!verdict.ok) {
        const at: PathSegment[] = n.output.kind === 'topic' ? ['nodes', n.id, 'to'] : ['nodes', n.id, 'branch'];
        opts.report(ErrorCodes.SCHEMA_INCOMPATIBLE, at,
          `node \`${n.id}\` passes records of schema \`${inputName}\` unchanged to topic \`${t}\`, whose schema \`${outName}\` cannot read them: ${verdict.reason}`,
          { hint: `make \`${outName}\` able to read \`${inputName}\` (new fields need defaults), or add a map step that reshapes the records` });
      }
    }
  }
}

async function checkModules(draft: Draft, opts: FileCheckOptions): Promise<void> {
  const jobs: Array<Promise<void>> = [];
  for (const n of draft.nodes) {
    n.process.forEach((step, i) => {
      if (step.kind !== 'module' || opts.escaped.has(step.module)) return;
      const at: PathSegment[] = ['nodes', n.id, 'process', i, 'map', 'module'];
      jobs.push(checkModule(step.module, step.export, draft.root, 'processor', at, opts));
    });
    const agg = n.window?.aggregate;
    if (agg?.kind === 'module' && !opts.escaped.has(agg.module)) {
      jobs.push(checkModule(agg.module, agg.export, draft.root, 'aggregator', ['nodes', n.id, 'window', 'aggregate', 'module'], opts));
    }
  }
  await Promise.all(jobs);
}

async function checkModule(
  file: string,
  exportName: string,
  root: string,
  kind: 'processor' | 'aggregator',
  at: PathSegment[],
  opts: FileCheckOptions,
): Promise<void> {
  try {
    if (!opts.loadModules) await checkModuleFile(file, exportName, root);
    else await (kind === 'processor' ? loadProcessorModule(file, exportName, root) : loadAggregatorModule(file, exportName, root));
  } catch (err) {
    opts.report(ErrorCodes.MODULE_LOAD, at, isSluiceError(err) ? err.message : `module ${file}: ${messageOf(err)}`);
  }
}

async function checkInputFiles(draft: Draft, opts: FileCheckOptions): Promise<void> {
  await Promise.all(
    draft.nodes.map(async (n) => {
      if (n.input.kind !== 'file' || opts.escaped.has(n.input.path)) return;
      try {
        await access(n.input.path);
      } catch {
        opts.report(ErrorCodes.TOPOLOGY_INVALID, ['nodes', n.id, 'source', 'file'], `input file ${n.input.path} does not exist (yet)`, { warning: true });
      }
    }),
  );
}

export async function checkFiles(draft: Draft, opts: FileCheckOptions): Promise<void> {
  const [schemas] = await Promise.all([loadSchemas(draft, opts), checkModules(draft, opts), checkInputFiles(draft, opts)]);
  checkCompatibility(draft, schemas, opts);
}
