/**
 * @platformatic/kafka errors → SluiceError codes and `retriable`, as for
 * kafkajs (kafka-errors.test.ts): refused credentials are a setting to fix,
 * a broker that cannot be reached stays BROKER_UNAVAILABLE and retriable, and
 * a broker's refusal is retriable exactly when the client says it can retry.
 */
import { AuthenticationError, MultipleErrors, NetworkError, ProtocolError, TimeoutError } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/core/index.ts';
import { TRANSIENT_CRASH_CODES } from '../../../src/coordinator/restart.ts';
import { fromPlatformaticError, hasProtocolError } from '../../../src/transport/platformatic/errors.ts';

describe('fromPlatformaticError', () => {
  it('maps a SASL failure inside a failed connection, after retries, to CONFIG_INVALID, not retriable, naming the broker and the reason', () => {
    const refusal = new ProtocolError('SASL_AUTHENTICATION_FAILED', 'Authentication failed: Invalid username or password');
    const sasl = new AuthenticationError('SASL authentication failed.', { cause: refusal });
    const connection = new NetworkError('Connection to 127.0.0.1:9093 failed.', { cause: sasl });
    const err = fromPlatformaticError(new MultipleErrors('metadata failed 1 times.', [connection]), ErrorCodes.BROKER_UNAVAILABLE);
    expect(err.code).toBe(ErrorCodes.CONFIG_INVALID);
    expect(err.retriable).toBe(false);
    expect(TRANSIENT_CRASH_CODES.has(err.code)).toBe(false);
    expect(err.message).toBe(
      'metadata failed 1 times.: Connection to 127.0.0.1:9093 failed.: SASL_AUTHENTICATION_FAILED (Authentication failed: Invalid username or password)',
    );
  });

  it('names the broker a TLS handshake failed with, whose reason names none', () => {
    const tls = Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' });
    const err = fromPlatformaticError(new MultipleErrors('metadata failed 2 times.', [new NetworkError('Connection to broker-1:9093 failed.', { cause: tls })]), ErrorCodes.PRODUCE);
    expect(err).toMatchObject({ code: ErrorCodes.BROKER_UNAVAILABLE, retriable: true });
    expect(err.message).toBe('metadata failed 2 times.: Connection to broker-1:9093 failed.: self-signed certificate in certificate chain');
  });

  it('maps connection errors, once the client gave up retrying, to BROKER_UNAVAILABLE, retriable, with the last attempt’s reason', () => {
    const attempts = [1, 2, 3].map(() => new NetworkError('Connection to 127.0.0.1:1 failed.', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') }));
    const err = fromPlatformaticError(new MultipleErrors('metadata failed 3 times.', attempts), ErrorCodes.PRODUCE, { topic: 't' });
    expect(err).toMatchObject({ code: ErrorCodes.BROKER_UNAVAILABLE, retriable: true, context: { topic: 't' } });
    expect(err.message).toBe('metadata failed 3 times.: Connection to 127.0.0.1:1 failed.: connect ECONNREFUSED 127.0.0.1:1');
  });

  it('tells a timeout from a connection error (the client gives both the same code)', () => {
    expect(fromPlatformaticError(new TimeoutError('Request timed out.'), ErrorCodes.CONSUME)).toMatchObject({ code: ErrorCodes.TIMEOUT, retriable: true });
  });

  it('takes retriable from the broker’s error kind, and names it', () => {
    const unstable = fromPlatformaticError(new ProtocolError('UNSTABLE_OFFSET_COMMIT'), ErrorCodes.CONSUME);
    expect(unstable).toMatchObject({ code: ErrorCodes.CONSUME, retriable: true });
    const fenced = new MultipleErrors('Received response with error', [new ProtocolError('PRODUCER_FENCED')]);
    expect(fromPlatformaticError(fenced, ErrorCodes.PRODUCE)).toMatchObject({ code: ErrorCodes.PRODUCE, retriable: false });
    expect(fromPlatformaticError(fenced, ErrorCodes.PRODUCE).message).toMatch(/PRODUCER_FENCED$/);
    expect(hasProtocolError(fenced, 'PRODUCER_FENCED')).toBe(true);
    expect(hasProtocolError(fenced, 'INVALID_PRODUCER_EPOCH')).toBe(false);
  });
});
