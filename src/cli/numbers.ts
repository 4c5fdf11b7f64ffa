/**
 * Numbers from the command line. Only plain decimal digits (no sign, no
 * exponent, no hex: `1e12` and `0x50` are typing accidents, not intents), and
 * within bounds: a timer past 2^31 ms is fired at once by Node (with a
 * TimeoutOverflowWarning), so a "forever" timeout would stop a run at once.
 */
import { ErrorCodes, SluiceError } from '../core/index.ts';

/** The longest interval or timeout a flag takes: a day. */
export const MAX_MS = 86_400_000;

export function wholeNumber(flag: string, text: string, min: number, max: number): number {
  const n = /^\d{1,16}$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new SluiceError(ErrorCodes.CLI_USAGE, `${flag} must be a whole number from ${min} to ${max}, got \`${text}\``);
  }
  return n;
}

/** Milliseconds for an interval or timeout: 1 ms to a day unless told a tighter floor. */
export function milliseconds(flag: string, text: string, min = 1): number {
  return wholeNumber(flag, text, min, MAX_MS);
}
