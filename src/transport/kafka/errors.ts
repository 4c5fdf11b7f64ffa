/**
 * kafkajs errors → SluiceError. The code comes from the error's class and the
 * `retriable` flag from kafkajs' own flag, never from name or message text.
 * kafkajs wraps the last attempt's error when it gives up retrying; that
 * error's flag says whether trying again later may work, so it is the one read.
 */
// kafkajs is CommonJS and spreads its error classes into module.exports,
// which Node's ESM loader cannot see as named exports: take them off the default.
import kafkajs from 'kafkajs';
import { ErrorCodes, SluiceError, isSluiceError, type ErrorCode, type ErrorContext } from '../../core/index.ts';

const {
  KafkaJSBrokerNotFound,
  KafkaJSConnectionError,
  KafkaJSError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSRequestTimeoutError,
  KafkaJSSASLAuthenticationError,
  KafkaJSTimeout,
} = kafkajs;

/** The innermost kafkajs error, past "gave up retrying" wrappers. */
function rootCause(err: unknown): unknown {
  let current = err;
  for (let depth = 0; depth < 8 && current instanceof KafkaJSNumberOfRetriesExceeded; depth++) {
    const cause: unknown = (current as { cause?: unknown }).cause;
    if (cause === undefined) break;
    current = cause;
  }
  return current;
}

function codeOf(err: unknown, fallback: ErrorCode): ErrorCode {
  // Refused credentials are the user's to fix, not a broker that is away: a
  // stage that restarts on them (TRANSIENT_CRASH_CODES) would retry forever.
  if (err instanceof KafkaJSSASLAuthenticationError) return ErrorCodes.CONFIG_INVALID;
  // Set by the guarded socket (socket.ts): an address that is no Kafka listener is the user's to fix too.
  if (err instanceof KafkaJSConnectionError && (err as { code?: unknown }).code === ErrorCodes.BROKER_PROTOCOL) return ErrorCodes.BROKER_PROTOCOL;
  if (err instanceof KafkaJSConnectionError || err instanceof KafkaJSBrokerNotFound) return ErrorCodes.BROKER_UNAVAILABLE;
  if (err instanceof KafkaJSRequestTimeoutError || err instanceof KafkaJSTimeout) return ErrorCodes.TIMEOUT;
  return fallback;
}

/** Wraps anything a kafkajs call threw; `fallback` names the operation (PRODUCE, CONSUME, ...). */
export function fromKafkaError(err: unknown, fallback: ErrorCode, context: ErrorContext = {}): SluiceError {
  if (isSluiceError(err)) return err.withContext(context);
  const root = rootCause(err);
  const code = codeOf(root, fallback);
  // kafkajs calls every connection error retriable; talking to something that is not Kafka again will not help.
  const retriable = code !== ErrorCodes.BROKER_PROTOCOL && root instanceof KafkaJSError ? root.retriable : false;
  const message = err instanceof Error ? err.message : String(err);
  const detail = root !== err && root instanceof Error && !message.includes(root.message) ? `${message}: ${root.message}` : message;
  return new SluiceError(code, detail, { cause: err, retriable, context });
}

/** Runs a kafkajs call, rethrowing its failure as a SluiceError. */
export async function kafkaCall<T>(fallback: ErrorCode, context: ErrorContext, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw fromKafkaError(err, fallback, context);
  }
}
