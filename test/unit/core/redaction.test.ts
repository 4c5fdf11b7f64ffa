/**
 * Secrets never reach a log line: passwords, SASL credentials and TLS keys in
 * the shapes sluice's own objects carry them (Kafka security settings, a stage
 * instance's parameters), key rings and tokens.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { REDACTED, REDACTED_PATHS } from '../../../src/core/index.ts';

function logged(fields: Record<string, unknown>): string {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  pino({ redact: { paths: [...REDACTED_PATHS], censor: REDACTED } }, sink).info(fields, 'message');
  return text;
}

const security = { tls: { ca: ['CA'], key: 'TLS-KEY-SECRET' }, sasl: { mechanism: 'scram-sha-512', username: 'svc', password: 'SASL-SECRET' } };

describe('log redaction', () => {
  it.each([
    ['a top-level password', { password: 'SASL-SECRET' }],
    ['SASL settings', { sasl: security.sasl }],
    ['Kafka security settings', { security }],
    ['a stage instance’s parameters', { params: { brokers: ['b:9092'], security } }],
    ['an error context one level down', { err: { password: 'SASL-SECRET', token: 'TOKEN-SECRET' } }],
    ['a key ring', { keys: { k1: 'KEY-SECRET' } }],
  ])('hides %s', (_what, fields) => {
    const line = logged(fields);
    expect(line).not.toMatch(/SECRET/);
    expect(line).toContain(REDACTED);
  });

  it('keeps what is not secret (the user name, the mechanism, the CA)', () => {
    const line = JSON.parse(logged({ security })) as { security: typeof security };
    expect(line.security.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'svc', password: REDACTED });
    expect(line.security.tls.ca).toEqual(['CA']);
  });
});
