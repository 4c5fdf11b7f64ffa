import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { isSluiceError } from '../core/index.ts';
import { commands } from './commands/index.ts';
import { exitCodeFor, formatError } from './errors.ts';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

export function buildProgram(): Command {
  const program = new Command('sluice')
    .description('Streaming dataflow on Node streams with Apache Kafka as the backbone.')
    .version(version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

/** Runs the CLI and returns the process exit code instead of exiting, so tests can call it. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has already printed its message (or the help / version).
      return err.exitCode === 0 ? 0 : 2;
    }
    process.stderr.write(formatError(err) + '\n');
    return isSluiceError(err) ? exitCodeFor(err) : 1;
  }
}
