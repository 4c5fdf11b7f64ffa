/**
 * TLS and SASL settings for the Kafka transport: what is refused without
 * --insecure, where credentials come from, what kafkajs is given, and that no
 * error message ever carries a secret.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCodes, SluiceError } from '../../../src/core/index.ts';
import { kafkaJsSecurity } from '../../../src/transport/kafka/client.ts';
import { kafkaSecurity, type KafkaSecuritySettings } from '../../../src/transport/index.ts';

const files: Record<string, string> = {
  '/secrets/kafka.pass': 'file-secret-7\n',
  '/tls/ca.pem': '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n',
  '/tls/client.pem': 'CERT',
  '/tls/client.key': 'KEY',
};
const read = (path: string): string => {
  const text = files[path];
  if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
  return text;
};

function refusal(settings: KafkaSecuritySettings): SluiceError {
  try {
    kafkaSecurity(settings, read);
  } catch (err) {
    return err as SluiceError;
  }
  throw new Error('expected a refusal');
}

describe('kafkaSecurity', () => {
  it('is undefined when nothing is asked for (plaintext, no authentication)', () => {
    expect(kafkaSecurity({}, read)).toBeUndefined();
    expect(kafkaSecurity({ tls: false, insecure: true }, read)).toBeUndefined();
  });

  it('refuses SASL PLAIN without TLS unless insecure, and says how to fix it', () => {
    const err = refusal({ saslMechanism: 'plain', saslUsername: 'u', saslPassword: 'pw-1' });
    expect(err.code).toBe(ErrorCodes.INSECURE_REFUSED);
    expect(err.message).toMatch(/PLAIN without TLS.*--ssl.*--insecure/);
    expect(kafkaSecurity({ saslMechanism: 'plain', saslUsername: 'u', saslPassword: 'pw-1', insecure: true }, read)).toEqual({
      sasl: { mechanism: 'plain', username: 'u', password: 'pw-1' },
    });
    expect(kafkaSecurity({ saslMechanism: 'PLAIN', saslUsername: 'u', saslPassword: 'pw-1', tls: true }, read)).toEqual({
      tls: {},
      sasl: { mechanism: 'plain', username: 'u', password: 'pw-1' },
    });
  });

  it('lets SCRAM go without TLS (the password never crosses the network)', () => {
    for (const mechanism of ['scram-sha-256', 'scram-sha-512'] as const) {
      expect(kafkaSecurity({ saslMechanism: mechanism, saslUsername: 'u', saslPassword: 'pw' }, read)?.sasl?.mechanism).toBe(mechanism);
    }
  });

  it('refuses TLS without certificate verification unless insecure', () => {
    expect(refusal({ tls: true, tlsNoVerify: true }).code).toBe(ErrorCodes.INSECURE_REFUSED);
    expect(kafkaSecurity({ tlsNoVerify: true, insecure: true }, read)).toEqual({ tls: { rejectUnauthorized: false } });
  });

  it('reads the password, CA, certificate and key from files (a trailing newline is not part of the password)', () => {
    const s = kafkaSecurity(
      { saslMechanism: 'scram-sha-512', saslUsername: 'svc', saslPasswordFile: '/secrets/kafka.pass', tlsCaFile: '/tls/ca.pem', tlsCertFile: '/tls/client.pem', tlsKeyFile: '/tls/client.key' },
      read,
    );
    expect(s).toEqual({
      tls: { ca: [files['/tls/ca.pem']], cert: 'CERT', key: 'KEY' },
      sasl: { mechanism: 'scram-sha-512', username: 'svc', password: 'file-secret-7' },
    });
  });

  it('a password file wins over a password given another way', () => {
    expect(kafkaSecurity({ saslMechanism: 'scram-sha-256', saslUsername: 'u', saslPassword: 'argv', saslPasswordFile: '/secrets/kafka.pass' }, read)?.sasl?.password).toBe('file-secret-7');
  });

  it('names what is missing without ever quoting a secret', () => {
    const unknown = refusal({ saslMechanism: 'gssapi', saslUsername: 'u', saslPassword: 'pw-2' });
    expect(unknown.code).toBe(ErrorCodes.CONFIG_INVALID);
    expect(unknown.message).toMatch(/unknown SASL mechanism `gssapi`/);
    const noUser = refusal({ saslMechanism: 'scram-sha-256', saslPassword: 'pw-3' });
    expect(noUser.message).toMatch(/SLUICE_KAFKA_SASL_USERNAME/);
    const noMechanism = refusal({ saslUsername: 'u', saslPassword: 'pw-4' });
    expect(noMechanism.message).toMatch(/without a mechanism/);
    const missingFile = refusal({ saslMechanism: 'scram-sha-256', saslUsername: 'u', saslPasswordFile: '/nope' });
    expect(missingFile.message).toBe('cannot read the SASL password file /nope: ENOENT');
    const halfCert = refusal({ tlsCertFile: '/tls/client.pem' });
    expect(halfCert.message).toMatch(/both its certificate and its key/);
    for (const err of [unknown, noUser, noMechanism, missingFile]) expect(JSON.stringify(err.toJSON())).not.toMatch(/pw-\d|file-secret/);
  });
});

describe('kafkaJsSecurity', () => {
  it('gives kafkajs `ssl: true` for TLS with system CAs, a TLS block otherwise, and the SASL triple', () => {
    expect(kafkaJsSecurity(undefined)).toEqual({});
    expect(kafkaJsSecurity({ tls: {} })).toEqual({ ssl: true });
    expect(kafkaJsSecurity({ tls: { ca: ['CA'], rejectUnauthorized: false } })).toEqual({ ssl: { ca: ['CA'], rejectUnauthorized: false } });
    expect(kafkaJsSecurity({ sasl: { mechanism: 'scram-sha-256', username: 'u', password: 'p' } })).toEqual({
      sasl: { mechanism: 'scram-sha-256', username: 'u', password: 'p' },
    });
  });
});
