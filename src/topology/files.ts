/**
 * Checks that open files: Avro schemas load and are compatible along the
 * graph, user modules import and export what the topology names, input files
 * exist. They run only on paths already confined to the root.
 */
import { access, stat } from 'node:fs/promises';
import { checkReadable, loadSchemaFile, type LoadedSchema } from '../codecs/index.ts';
import { ErrorCodes, isSluiceError, type ErrorCode } from '../core/index.ts';
import { checkModuleFile, loadAggregatorModule, loadProcessorModule, realpathSoFar } from '../processors/index.ts';
import type { Draft } from './build.ts';
import type { TopologyNode } from './model.ts';
import { pathClashes, type PathUse } from './overlap.ts';
import type { PathSegment } from './problems.ts';
import type { ReportOptions } from './reporter.ts';

export interface FileCheckOptions {
  /** Import user modules to check their exports (runs their top-level code); else only check their files. */
  loadModules: boolean;
  escaped: ReadonlySet<string>;
  /** The aes-gcm key file the run will read (`--key-file`): no sink may write it. */
  keyFile?: string;
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
      // A join's other side is read with its own topic's schema.
      for (const t of n.input.topics.filter((topic) => topic !== n.join?.stream)) {
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

async function pathUse(file: string, role: string, at: PathSegment[] | undefined, sink: boolean): Promise<PathUse> {
  const real = await realpathSoFar(file);
  const info = await stat(real).catch(() => undefined);
  return { path: real, role, sink, ...(at !== undefined ? { at } : {}), ...(info !== undefined ? { identity: `${info.dev}:${info.ino}` } : {}) };
}

/** Every file the topology is made of or reads, then every file sink, in the order of the file. */
function namedFiles(draft: Draft, opts: FileCheckOptions): Array<Promise<PathUse>> {
  const uses: Array<Promise<PathUse>> = [pathUse(draft.file, 'the topology file itself', undefined, false)];
  if (opts.keyFile !== undefined) uses.push(pathUse(opts.keyFile, 'the key file (--key-file)', undefined, false));
  for (const ref of Object.values(draft.schemas)) uses.push(pathUse(ref.path, `the file of schema \`${ref.name}\``, ['schemas', ref.name], false));
  for (const n of draft.nodes) {
    n.process.forEach((step, i) => {
      if (step.kind === 'module') uses.push(pathUse(step.module, `the module of node \`${n.id}\``, ['nodes', n.id, 'process', i, 'map', 'module'], false));
    });
    const agg = n.window?.aggregate;
    if (agg?.kind === 'module') uses.push(pathUse(agg.module, `the aggregator of node \`${n.id}\``, ['nodes', n.id, 'window', 'aggregate', 'module'], false));
    if (n.input.kind === 'file') uses.push(pathUse(n.input.path, `the input file of node \`${n.id}\``, ['nodes', n.id, 'source', 'file'], false));
  }
  for (const n of draft.nodes) {
    if (n.output.kind === 'file') uses.push(pathUse(n.output.path, `the output file of node \`${n.id}\``, ['nodes', n.id, 'sink', 'file'], true));
  }
  return uses;
}

async function checkSinkPaths(draft: Draft, opts: FileCheckOptions): Promise<void> {
  for (const { sink, other } of pathClashes(await Promise.all(namedFiles(draft, opts)))) {
    const node = String(sink.at[1]);
    const harm = other.sink ? 'their records would interleave in one file' : 'the run would write into a file it reads';
    opts.report(ErrorCodes.TOPOLOGY_PATH_CONFLICT, [...sink.at], `node \`${node}\` writes ${sink.path}, which is also ${other.role}: ${harm}`, {
      hint: 'give the sink a file of its own, e.g. under ./out/',
    });
  }
}

export async function checkFiles(draft: Draft, opts: FileCheckOptions): Promise<void> {
  const [schemas] = await Promise.all([loadSchemas(draft, opts), checkModules(draft, opts), checkInputFiles(draft, opts), checkSinkPaths(draft, opts)]);
  checkCompatibility(draft, schemas, opts);
}
