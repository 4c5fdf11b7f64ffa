/**
 * The coordinator's HTTP token and request policy flags. `sluice run` asks
 * every request but the probes for the token; `sluice trigger`, `sluice query` and `sluice status --url` send it. The
 * token comes from --token-file, else $SLUICE_TOKEN; --token works too, with a
 * warning, since the process list and the shell history keep it.
 */
import { readFileSync } from 'node:fs';
import { ErrorCodes, SluiceError } from '../../core/index.ts';
import type { RegisterCommand } from './index.ts';

export const TOKEN_ENV = 'SLUICE_TOKEN';

export interface TokenFlags {
  token?: string;
  tokenFile?: string;
}

/** Registered after the commands themselves: `run` asks for the token, `trigger`, `query` and `status --url` send it. */
const TOKEN_COMMANDS = new Set(['run', 'trigger', 'query', 'status']);

export const registerHttpToken: RegisterCommand = (program) => {
  for (const command of program.commands) {
    if (!TOKEN_COMMANDS.has(command.name())) continue;
    command
      .option('--token-file <file>', `file holding the coordinator's HTTP token ($${TOKEN_ENV} otherwise)`)
      .option('--token <secret>', `avoid: visible in the process list; use $${TOKEN_ENV} or --token-file`);
  }
};

/** Repeatable, comma-separated values (`--allow-host a,b --allow-host c`). */
export const collectList = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== ''),
];

/** The token, or undefined for none; `warn` hears about one given on the command line. */
export function tokenOf(flags: TokenFlags, env: NodeJS.ProcessEnv, warn: (message: string) => void): string | undefined {
  if (flags.token !== undefined) {
    warn(`--token leaves the token in the process list and the shell history; set ${TOKEN_ENV} or give --token-file instead`);
  }
  let token: string | undefined;
  if (flags.tokenFile !== undefined) {
    try {
      token = readFileSync(flags.tokenFile, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new SluiceError(ErrorCodes.CONFIG_INVALID, `cannot read --token-file ${flags.tokenFile}: ${(err as Error).message}`, { cause: err });
    }
  } else {
    token = flags.token ?? env[TOKEN_ENV];
  }
  if (token === undefined) return undefined;
  if (token.trim() === '') throw new SluiceError(ErrorCodes.CONFIG_INVALID, `the token is empty (${flags.tokenFile !== undefined ? `--token-file ${flags.tokenFile}` : flags.token !== undefined ? '--token' : TOKEN_ENV})`);
  return token;
}
