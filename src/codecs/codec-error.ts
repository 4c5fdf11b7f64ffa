import { SluiceError, type ErrorCode, type ErrorContext } from '../core/index.ts';

/** An error raised by one codec step: the message says what went wrong, the context which codec. */
export function codecError(code: ErrorCode, codec: string, message: string, cause?: unknown, context: ErrorContext = {}): SluiceError {
  return new SluiceError(code, `${codec}: ${message}`, {
    ...(cause === undefined ? {} : { cause }),
    context: { codec, ...context },
  });
}

/** A short rendering of a bad value for an error message (never the whole of a large one). */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value instanceof Date) return `Date(${Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString()})`;
  if (Buffer.isBuffer(value)) return `<${value.length} bytes>`;
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
