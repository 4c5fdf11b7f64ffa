import { ErrorCodes, isSluiceError, type SluiceError } from '../core/index.ts';

/** Exit 2 for what the user must fix in their input (usage, files); 1 for failures at run time. */
export function exitCodeFor(err: SluiceError): number {
  switch (err.code) {
    case ErrorCodes.CLI_USAGE:
    case ErrorCodes.CONFIG_INVALID:
    case ErrorCodes.TOPOLOGY_PARSE:
    case ErrorCodes.TOPOLOGY_INVALID:
    case ErrorCodes.TOPOLOGY_UNSAFE:
    case ErrorCodes.FILE_REFUSED:
    case ErrorCodes.SCHEMA_NOT_FOUND:
    case ErrorCodes.SCHEMA_INVALID:
    case ErrorCodes.SCHEMA_INCOMPATIBLE:
    case ErrorCodes.INSECURE_REFUSED:
      return 2;
    default:
      return 1;
  }
}

/** One line a person can act on: where, code, what. */
export function formatError(err: unknown): string {
  if (isSluiceError(err)) {
    const where = err.where;
    return `sluice: ${where ? where + ': ' : ''}${err.message} [${err.code}]`;
  }
  return `sluice: ${err instanceof Error ? err.message : String(err)}`;
}
