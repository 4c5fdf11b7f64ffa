/**
 * `sluice validate FILE...`: every problem in every file, as
 * `file:line:col: error CODE: message (hint)` lines or as JSON for tools.
 * Exit 0 when all files are valid, 2 when any is not. User modules are
 * checked as files only: importing one runs its code, so validating a file
 * from someone else is safe unless `--load-modules` asks for that.
 */
import type { Command } from 'commander';
import { formatProblem, validateTopologyFile, type Problem, type ValidationResult } from '../../topology/index.ts';
import type { RegisterCommand } from './index.ts';

interface ValidateOptions {
  json?: boolean;
  root?: string;
  loadModules?: boolean;
  keyFile?: string;
}

interface FileReport {
  file: string;
  valid: boolean;
  problems: Problem[];
  warnings: Problem[];
  nodes?: number;
  topics?: number;
}

function reportOf(file: string, r: ValidationResult): FileReport {
  return {
    file,
    valid: r.topology !== undefined,
    problems: r.problems,
    warnings: r.warnings,
    ...(r.topology !== undefined ? { nodes: r.topology.nodes.length, topics: Object.keys(r.topology.topics).length } : {}),
  };
}

function textOf(report: FileReport): string {
  const lines = [...report.problems.map((p) => formatProblem(p)), ...report.warnings.map((p) => formatProblem(p, 'warning'))];
  const n = report.problems.length;
  lines.push(report.valid ? `${report.file}: valid (${report.nodes} nodes, ${report.topics} topics)` : `${report.file}: ${n} problem${n === 1 ? '' : 's'}`);
  return lines.join('\n') + '\n';
}

export const registerValidate: RegisterCommand = (program: Command) => {
  program
    .command('validate')
    .description('check topology files and list every problem with file:line:column (exit 0 valid, 2 invalid)')
    .argument('<files...>', 'topology files (.yaml, .yml or .json)')
    .option('--json', 'print the result as JSON')
    .option('--root <dir>', "folder every path in a file must stay inside (default: the file's folder)")
    .option('--load-modules', "import processor and aggregator modules to check their exports: this RUNS their top-level code (default: only check each module file exists, is a module and stays inside the folder)")
    .option('--key-file <path>', 'the aes-gcm keys file runs will read (no file sink may write it)')
    .action(async (files: string[], opts: ValidateOptions) => {
      const reports: FileReport[] = [];
      for (const file of files) {
        const result = await validateTopologyFile(file, {
          ...(opts.root !== undefined ? { root: opts.root } : {}),
          loadModules: opts.loadModules === true,
          ...(opts.keyFile !== undefined ? { keyFile: opts.keyFile } : {}),
        });
        const report = reportOf(file, result);
        reports.push(report);
        if (!opts.json) process.stdout.write(textOf(report));
      }
      const valid = reports.every((r) => r.valid);
      if (opts.json) process.stdout.write(JSON.stringify({ valid, files: reports }, null, 2) + '\n');
      process.exitCode = valid ? 0 : 2;
    });
};
