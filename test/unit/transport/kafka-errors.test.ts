/**
 * kafkajs errors → SluiceError codes for the security failures: refused
 * credentials are a setting to fix (never "broker unavailable", which a
 * supervisor treats as transient and restarts on forever), while a broker
 * that cannot be reached stays BROKER_UNAVAILABLE.
 */
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/core/index.ts';
import { TRANSIENT_CRASH_CODES } from '../../../src/coordinator/restart.ts';
import { fromKafkaError } from '../../../src/transport/kafka/errors.ts';

const { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded } = kafkajs;
// kafkajs' typings declare this constructor without arguments; at run time it takes the message, as every KafkaJSError does.
const KafkaJSSASLAuthenticationError = kafkajs.KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;

describe('fromKafkaError', () => {
  it('maps a SASL authentication failure to CONFIG_INVALID, not retriable, with kafkajs’ message', () => {
    const err = fromKafkaError(
      new KafkaJSSASLAuthenticationError(
        'SASL SCRAM SHA256 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256',
      ),
      ErrorCodes.BROKER_UNAVAILABLE,
    );
    expect(err.code).toBe(ErrorCodes.CONFIG_INVALID);
    expect(err.retriable).toBe(false);
    expect(err.message).toMatch(/^SASL SCRAM SHA256 authentication failed: .*invalid credentials/);
    expect(TRANSIENT_CRASH_CODES.has(err.code)).toBe(false);
  });

  it('keeps a connection failure (a TLS handshake kafkajs gave up retrying) BROKER_UNAVAILABLE and retriable', () => {
    const cause = new KafkaJSConnectionError('Connection error: self-signed certificate in certificate chain');
    const err = fromKafkaError(new KafkaJSNumberOfRetriesExceeded(cause, { retryCount: 5, retryTime: 1000 }), ErrorCodes.PRODUCE);
    expect(err.code).toBe(ErrorCodes.BROKER_UNAVAILABLE);
    expect(err.retriable).toBe(true);
    expect(err.message).toContain('self-signed certificate in certificate chain');
  });
});
