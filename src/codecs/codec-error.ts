import { SluiceError, type ErrorCode, type ErrorContext } from '../core/index.ts';

/** An error raised by one codec step: the message says what went wrong, the context which codec. */
export function codecError(code: ErrorCode, codec: string, message: string, cause?: unknown, context: ErrorContext = {}): SluiceError {
  return new SluiceError(code, `${codec}: ${message}`, {
    ...(cause === undefined ? {} : { cause }),
    context: { codec, ...context },
  });
}
