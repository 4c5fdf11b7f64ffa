/**
 * `sluice test [FILE|DIR]...`: runs `*.test.yaml` files (found under
 * directories) on the embedded transport and reports each case as a test
 * runner does. Exit 0 when every case passes, 1 when any fails, 2 when a
 * test file (or the topology it names) is invalid.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { caseText, exitCodeOf, fileHeaderText, findTestFiles, jsonText, junitText, problemsText, reporters, runTestFile, summaryText, type CaseResult, type FileResult, type ReporterName } from '../../testing/index.ts';
import type { RegisterCommand } from './index.ts';
import { connectionOf, warnOnStderr, type KafkaSecurityFlags } from './kafka-security.ts';

interface TestOptions extends KafkaSecurityFlags {
  brokers?: string;
  reporter: ReporterName;
  faults?: boolean;
  crashEvery: number;
}

function recordCount(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`a whole number of records ≥ 1, not ${text}`);
  return n;
}

export const registerTest: RegisterCommand = (program: Command) => {
  program
    .command('test')
    .description('run topology test files (*.test.yaml) on the embedded transport (exit 0 all pass, 1 a case failed, 2 a bad test file)')
    .argument('[paths...]', 'test files, or directories to find *.test.yaml under', ['.'])
    .addOption(new Option('--reporter <name>', 'output format').choices(reporters).default('text'))
    .option('--brokers <list>', 'run the cases on this Kafka cluster instead, each under a fresh namespace (deleted after)')
    .option('--faults', 'run each case with and without crashing every stage after every --crash-every input records, and compare what the topology wrote')
    .option('--crash-every <k>', 'with --faults: input records between crashes', recordCount, 1)
    .action(async (paths: string[], opts: TestOptions) => {
      const files = await findTestFiles(paths);
      const text = opts.reporter === 'text';
      const results: FileResult[] = [];
      for (const file of files) {
        if (text) process.stdout.write(fileHeaderText(file));
        const faults = opts.faults === true ? { faults: { every: opts.crashEvery } } : {};
        const kafka = opts.brokers === undefined ? {} : { kafka: { brokers: opts.brokers.split(',').map((b) => b.trim()).filter((b) => b !== ''), ...connectionOf(opts, undefined, process.env, warnOnStderr) } };
        const result = await runTestFile(file, { ...faults, ...kafka, ...(text ? { onCase: (_f: string, c: CaseResult) => process.stdout.write(caseText(c)) } : {}) });
        if (text) process.stdout.write(problemsText(result));
        results.push(result);
      }
      if (text) process.stdout.write(files.length === 0 ? `no *.test.yaml under ${paths.join(', ')}\n` : summaryText(results));
      else process.stdout.write(opts.reporter === 'json' ? jsonText(results) : junitText(results));
      process.exitCode = files.length === 0 ? 2 : exitCodeOf(results);
    });
};
