/**
 * @platformatic/kafka errors → SluiceError, with the same codes and
 * `retriable` as kafka/errors.ts gives kafkajs' (branch on the code, never on
 * text). The client nests its errors two ways: `errors` (one per attempt when
 * it gave up retrying, one per partition in a broker's answer) and `cause` (a
 * failed connection wrapping the TLS or SASL failure under it), so the whole
 * tree is read. `retriable` is the client's own `canRetry`: false as soon as
 * any error in the tree says so, since the client stops retrying at such an
 * error, and the client gives up on the others only after its retries.
 */
import { AuthenticationError, GenericError, NetworkError, ProtocolError, TimeoutError } from '@platformatic/kafka';
import { ErrorCodes, SluiceError, isSluiceError, type ErrorCode, type ErrorContext } from '../../core/index.ts';
import { NotKafkaError } from '../kafka/socket.ts';

/** Depth-first, the error itself first; bounded, since a cause may point anywhere. */
export function* errorTree(err: unknown, depth = 0): Generator<unknown> {
  if (err === undefined || err === null || depth > 8) return;
  yield err;
  const nested = (err as { errors?: unknown }).errors;
  if (Array.isArray(nested)) for (const e of nested) yield* errorTree(e, depth + 1);
  yield* errorTree((err as { cause?: unknown }).cause, depth + 1);
}

function some(err: unknown, test: (e: unknown) => boolean): boolean {
  for (const e of errorTree(err)) if (test(e)) return true;
  return false;
}

/** The broker's error name (`UNSTABLE_OFFSET_COMMIT`, ...) anywhere in the tree. */
export function hasProtocolError(err: unknown, ...ids: string[]): boolean {
  return some(err, (e) => e instanceof ProtocolError && ids.includes((e as ProtocolError & { apiId: string }).apiId));
}

/** Refused credentials, wherever the client nested them. */
export function isAuthenticationFailure(err: unknown): boolean {
  return some(err, (e) => e instanceof AuthenticationError) || hasProtocolError(err, 'SASL_AUTHENTICATION_FAILED');
}

/** Set by the guarded connections (broker-guard.ts): the seed address is no Kafka listener. */
function notKafka(err: unknown): NotKafkaError | undefined {
  for (const e of errorTree(err)) if (e instanceof NotKafkaError) return e;
  return undefined;
}

function codeOf(err: unknown, fallback: ErrorCode): ErrorCode {
  // Refused credentials are the user's to fix, not a broker that is away (see kafka/errors.ts).
  if (isAuthenticationFailure(err)) return ErrorCodes.CONFIG_INVALID;
  // TimeoutError carries NetworkError's code: its class tells them apart.
  if (some(err, (e) => e instanceof TimeoutError)) return ErrorCodes.TIMEOUT;
  if (some(err, (e) => e instanceof NetworkError)) return ErrorCodes.BROKER_UNAVAILABLE;
  return fallback;
}

/**
 * What the last attempt ran into, along the tree's last branch: the innermost
 * message, after the failed connection's, which alone names the broker's
 * address when the reason under it is a TLS or SASL failure.
 */
function details(err: unknown): string[] {
  let current: unknown = err;
  let connection: string | undefined;
  let found: string | undefined;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth++) {
    if (current !== err && current instanceof Error) {
      const e = current as Error & { apiId?: string; serverErrorMessage?: string | null };
      found = e.apiId !== undefined ? `${e.apiId}${e.serverErrorMessage ? ` (${e.serverErrorMessage})` : ''}` : e.message;
      if (e instanceof NetworkError && e.cause !== undefined) connection = e.message;
    }
    const nested = (current as { errors?: unknown[] }).errors;
    current = Array.isArray(nested) && nested.length > 0 ? nested[nested.length - 1] : (current as { cause?: unknown }).cause;
  }
  return [connection, found].filter((m, i, all): m is string => m !== undefined && all.indexOf(m) === i);
}

/** Wraps anything a @platformatic/kafka call threw; `fallback` names the operation (PRODUCE, CONSUME, ...). */
export function fromPlatformaticError(err: unknown, fallback: ErrorCode, context: ErrorContext = {}): SluiceError {
  if (isSluiceError(err)) return err.withContext(context);
  // Which call ran into it and how often it was tried says nothing to whoever must fix the address.
  const refused = notKafka(err);
  if (refused !== undefined) return new SluiceError(ErrorCodes.BROKER_PROTOCOL, refused.message, { cause: err, retriable: false, context });
  const code = codeOf(err, fallback);
  const retriable =
    code === ErrorCodes.BROKER_UNAVAILABLE || code === ErrorCodes.TIMEOUT
      ? true
      : code !== ErrorCodes.CONFIG_INVALID && GenericError.isGenericError(err as Error) && !some(err, (e) => (e as { canRetry?: boolean }).canRetry === false);
  const message = err instanceof Error ? err.message : String(err);
  const parts = [message, ...details(err).filter((m) => m !== message)];
  return new SluiceError(code, parts.join(': '), { cause: err, retriable, context });
}

/** Runs a @platformatic/kafka call, rethrowing its failure as a SluiceError. */
export async function platformaticCall<T>(fallback: ErrorCode, context: ErrorContext, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw fromPlatformaticError(err, fallback, context);
  }
}
