/**
 * `sluice graph FILE`: the topology as Mermaid (default), Graphviz DOT or
 * SVG, on stdout or into `--out PATH` (format from the extension unless
 * `--format` says). The graph is drawn without importing user modules.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { ErrorCodes, SluiceError } from '../../core/index.ts';
import { formatProblem, graphFormats, renderGraph, validateTopologyFile, type GraphFormat } from '../../topology/index.ts';
import type { RegisterCommand } from './index.ts';

interface GraphOptions {
  format?: string;
  out?: string;
  root?: string;
}

const byExtension: Readonly<Record<string, GraphFormat>> = {
  '.svg': 'svg',
  '.dot': 'dot',
  '.gv': 'dot',
  '.mmd': 'mermaid',
  '.mermaid': 'mermaid',
};

export function graphFormatFor(format: string | undefined, out: string | undefined): GraphFormat {
  if (format !== undefined) {
    if (!(graphFormats as readonly string[]).includes(format)) {
      throw new SluiceError(ErrorCodes.CLI_USAGE, `unknown graph format "${format}"; use ${graphFormats.join(', ')}`);
    }
    return format as GraphFormat;
  }
  if (out === undefined) return 'mermaid';
  const ext = path.extname(out).toLowerCase();
  const inferred = byExtension[ext];
  if (inferred === undefined) {
    throw new SluiceError(ErrorCodes.CLI_USAGE, `cannot tell the format from "${ext || out}"; use .svg, .dot, .mmd or --format`);
  }
  return inferred;
}

export const registerGraph: RegisterCommand = (program: Command) => {
  program
    .command('graph')
    .description('draw a topology: sources, stages with their processors, topics, sinks (Mermaid, DOT or SVG)')
    .argument('<file>', 'topology file')
    .option('--format <format>', `output format: ${graphFormats.join(', ')} (default: from --out, else mermaid)`)
    .option('--out <path>', 'write to this file instead of stdout')
    .option('--root <dir>', "folder every path in the file must stay inside (default: the file's folder)")
    .action(async (file: string, opts: GraphOptions) => {
      const format = graphFormatFor(opts.format, opts.out);
      const result = await validateTopologyFile(file, { loadModules: false, ...(opts.root !== undefined ? { root: opts.root } : {}) });
      if (result.topology === undefined) {
        for (const p of result.problems) process.stderr.write(formatProblem(p) + '\n');
        process.exitCode = 2;
        return;
      }
      const text = await renderGraph(result.topology, format);
      if (opts.out === undefined) {
        process.stdout.write(text);
      } else {
        await mkdir(path.dirname(path.resolve(opts.out)), { recursive: true });
        await writeFile(opts.out, text);
        process.stderr.write(`wrote ${opts.out} (${format})\n`);
      }
      process.exitCode = 0;
    });
};
