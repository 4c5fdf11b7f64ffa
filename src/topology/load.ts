/**
 * File → parsed → checked → Topology. `validateTopologyFile` never throws on
 * bad input and lists every problem it finds; `loadTopology` throws them all
 * at once as a TopologyValidationError.
 */
import path from 'node:path';
import { ErrorCodes, isSluiceError, readRegularFile, type ErrorCode } from '../core/index.ts';
import { buildTopology } from './build.ts';
import { interpolateEnv, type Env, type EnvIssue, type EnvLimits } from './env.ts';
import { checkFiles } from './files.ts';
import { checkGraph, logicalGraph } from './graph.ts';
import { mapZodIssues } from './issues.ts';
import type { Topology } from './model.ts';
import { TopologyValidationError, type Problem } from './problems.ts';
import { Reporter, offsetAt } from './reporter.ts';
import { checkJoins } from './copartition.ts';
import { TopologyFileSchema } from './schema.ts';
import { defaultYamlLimits, parseYaml, type YamlLimits } from './yaml.ts';

export interface LoadOptions {
  /** Values for `${VAR}`; default process.env. */
  env?: Env;
  /** Every path in the file must stay inside this folder; default the file's own folder. */
  root?: string;
  /** Files larger than this are refused unread (SLUICE_ERR_FILE_REFUSED); default 1 MiB. */
  maxBytes?: number;
  yamlLimits?: YamlLimits;
  /** What `${VAR}` expansion may produce; default defaultEnvLimits. */
  envLimits?: EnvLimits;
  /**
   * Import user modules to check their exports. Default false: importing runs
   * their top-level code, which only `sluice run` (and `validate --load-modules`) should do.
   */
  loadModules?: boolean;
  /** The aes-gcm key file a run reads (`--key-file`), which no file sink may name. */
  keyFile?: string;
}

export interface ValidationResult {
  /** Present only when there are no problems. */
  topology?: Topology;
  problems: Problem[];
  warnings: Problem[];
}

export const DEFAULT_MAX_BYTES = 1024 * 1024;

/** The file's text, or why it cannot be had: a missing file is a parse problem, a refused one its own. */
async function readTopologyText(file: string, maxBytes: number): Promise<{ text: string } | { error: string; code: ErrorCode }> {
  try {
    return { text: (await readRegularFile(file, maxBytes, 'the topology file')).toString('utf8') };
  } catch (err) {
    if (isSluiceError(err)) return { error: err.message, code: err.code };
    const code = (err as NodeJS.ErrnoException).code;
    return { error: code === 'ENOENT' ? 'file not found' : `cannot read the file (${code ?? String(err)})`, code: ErrorCodes.TOPOLOGY_PARSE };
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function reportEnv(reporter: Reporter, issues: readonly EnvIssue[]): void {
  for (const i of issues) reporter.atReference(i.code, i.path, i.reference, i.message, i.hint ? { hint: i.hint } : {});
}

export async function validateTopologyFile(file: string, options: LoadOptions = {}): Promise<ValidationResult> {
  const abs = path.resolve(file);
  const reporter = new Reporter(file);
  // In file order, whatever order the checks finished in.
  const byPosition = (a: Problem, b: Problem): number => a.line - b.line || a.column - b.column;
  const done = (topology?: Topology): ValidationResult => ({
    ...(topology !== undefined && !reporter.failed ? { topology } : {}),
    problems: [...reporter.problems].sort(byPosition),
    warnings: [...reporter.warnings].sort(byPosition),
  });

  const read = await readTopologyText(abs, options.maxBytes ?? DEFAULT_MAX_BYTES);
  if ('error' in read) {
    reporter.atOffset(read.code, 0, read.error);
    return done();
  }
  const parsed = parseYaml(read.text, options.yamlLimits ?? defaultYamlLimits);
  reporter.attach(parsed.doc, parsed.lineCounter, read.text);
  for (const i of parsed.issues) reporter.atOffset(i.code, i.offset, i.message, i.path ?? [], i.hint ? { hint: i.hint } : {});
  if (parsed.data === undefined || reporter.failed) return done();
  if (typeof parsed.data !== 'object' || parsed.data === null || Array.isArray(parsed.data)) {
    const what = parsed.data === null ? 'the file is empty' : 'a topology file is a mapping with `name` and `nodes`';
    reporter.atOffset(ErrorCodes.TOPOLOGY_INVALID, 0, what, [], {
      hint: 'start from an example in topologies/',
    });
    return done();
  }

  const envIssues: EnvIssue[] = [];
  const data = interpolateEnv(parsed.data, options.env ?? process.env, envIssues, options.envLimits);
  reportEnv(reporter, envIssues);

  const result = TopologyFileSchema.safeParse(data);
  if (!result.success) {
    for (const f of mapZodIssues(result.error.issues, TopologyFileSchema, data)) reporter.add(f);
  }
  if (!result.success || reporter.failed) return done();

  const root = path.resolve(options.root ?? path.dirname(abs));
  const { draft, escaped } = await buildTopology(result.data, {
    file: abs,
    root,
    report: (code, at, message, opts) => reporter.at(code, at, message, opts),
    position: (at) => {
      const pos = parsed.lineCounter.linePos(parsed.doc ? offsetAt(parsed.doc, at, true) : 0);
      return { line: pos.line, column: pos.col };
    },
  });
  const topics = Object.values(draft.topics);
  for (const f of checkGraph(draft.nodes, topics)) reporter.add(f);
  for (const f of checkJoins(draft.nodes, draft.topics)) reporter.add(f);
  await checkFiles(draft, {
    loadModules: options.loadModules ?? false,
    escaped,
    ...(options.keyFile !== undefined ? { keyFile: path.resolve(options.keyFile) } : {}),
    report: (code, at, message, opts) => reporter.at(code, at, message, opts),
  });
  if (reporter.failed) return done();
  const { vertices, edges } = logicalGraph(draft.nodes, topics);
  return done(deepFreeze({ ...draft, vertices, edges }));
}

/** Loads and validates a topology file; throws a TopologyValidationError listing every problem. */
export async function loadTopology(file: string, options: LoadOptions = {}): Promise<Topology> {
  const result = await validateTopologyFile(file, options);
  if (result.topology === undefined) throw new TopologyValidationError(file, result.problems);
  return result.topology;
}
