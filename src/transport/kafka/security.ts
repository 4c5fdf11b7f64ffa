/**
 * From what a user asked for (flags, environment, the topology's `kafka:`)
 * to the TLS and SASL a Kafka client uses: credential files are read here,
 * and two settings that give secrets or trust away are refused unless the
 * caller says `insecure`: SASL PLAIN without TLS (the password crosses the
 * network in clear text) and TLS that accepts any certificate (anyone on the
 * path can pose as the broker and collect the credentials). SCRAM never sends
 * the password, so it may go without TLS, though the records then travel in
 * clear.
 */
import { readFileSync } from 'node:fs';
import { ErrorCodes, SluiceError } from '../../core/index.ts';
import type { KafkaSecurity, KafkaTlsOptions, SaslMechanism } from '../types.ts';

export const saslMechanisms: readonly SaslMechanism[] = ['plain', 'scram-sha-256', 'scram-sha-512'];

/** What a user asked for, before files are read; every field optional. */
export interface KafkaSecuritySettings {
  tls?: boolean;
  tlsCaFile?: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  /** Accept any broker certificate. */
  tlsNoVerify?: boolean;
  saslMechanism?: string;
  saslUsername?: string;
  saslPassword?: string;
  saslPasswordFile?: string;
  /** Allow SASL PLAIN without TLS and `tlsNoVerify`. */
  insecure?: boolean;
}

export type ReadText = (path: string) => string;

const readText: ReadText = (path) => readFileSync(path, 'utf8');

function readSecretFile(what: string, path: string, read: ReadText): string {
  try {
    return read(path);
  } catch (err) {
    // The path only: never the content, even in part.
    throw new SluiceError(ErrorCodes.CONFIG_INVALID, `cannot read the ${what} file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`, {
      cause: err,
      context: { path },
    });
  }
}

function refuse(message: string): SluiceError {
  return new SluiceError(ErrorCodes.INSECURE_REFUSED, `${message}; give --insecure if you mean it`);
}

function tlsOf(s: KafkaSecuritySettings, read: ReadText): KafkaTlsOptions | undefined {
  const wanted = s.tls === true || s.tlsCaFile !== undefined || s.tlsCertFile !== undefined || s.tlsKeyFile !== undefined || s.tlsNoVerify === true;
  if (!wanted) return undefined;
  if ((s.tlsCertFile === undefined) !== (s.tlsKeyFile === undefined)) {
    throw new SluiceError(ErrorCodes.CONFIG_INVALID, 'a TLS client certificate needs both its certificate and its key file');
  }
  if (s.tlsNoVerify === true && s.insecure !== true) throw refuse('TLS without certificate verification lets anyone on the path pose as the broker');
  return {
    ...(s.tlsCaFile !== undefined ? { ca: [readSecretFile('TLS CA', s.tlsCaFile, read)] } : {}),
    ...(s.tlsCertFile !== undefined ? { cert: readSecretFile('TLS certificate', s.tlsCertFile, read) } : {}),
    ...(s.tlsKeyFile !== undefined ? { key: readSecretFile('TLS key', s.tlsKeyFile, read) } : {}),
    ...(s.tlsNoVerify === true ? { rejectUnauthorized: false } : {}),
  };
}

function passwordOf(s: KafkaSecuritySettings, read: ReadText): string | undefined {
  if (s.saslPasswordFile !== undefined) return readSecretFile('SASL password', s.saslPasswordFile, read).replace(/\r?\n$/, '');
  return s.saslPassword;
}

/** Undefined when nothing was asked for (plaintext, no authentication). */
export function kafkaSecurity(s: KafkaSecuritySettings, read: ReadText = readText): KafkaSecurity | undefined {
  const tls = tlsOf(s, read);
  if (s.saslMechanism === undefined) {
    if (s.saslUsername !== undefined || s.saslPassword !== undefined || s.saslPasswordFile !== undefined) {
      throw new SluiceError(ErrorCodes.CONFIG_INVALID, `SASL credentials were given without a mechanism: one of ${saslMechanisms.join(', ')}`);
    }
    return tls === undefined ? undefined : { tls };
  }
  const mechanism = s.saslMechanism.toLowerCase() as SaslMechanism;
  if (!saslMechanisms.includes(mechanism)) {
    throw new SluiceError(ErrorCodes.CONFIG_INVALID, `unknown SASL mechanism \`${s.saslMechanism}\`: one of ${saslMechanisms.join(', ')}`);
  }
  if (mechanism === 'plain' && tls === undefined && s.insecure !== true) {
    throw refuse('SASL PLAIN without TLS sends the password in clear text (add TLS: --ssl)');
  }
  const password = passwordOf(s, read);
  if (s.saslUsername === undefined || s.saslUsername === '' || password === undefined || password === '') {
    throw new SluiceError(
      ErrorCodes.CONFIG_INVALID,
      `SASL ${mechanism} needs a username and a password: SLUICE_KAFKA_SASL_USERNAME and SLUICE_KAFKA_SASL_PASSWORD (or SLUICE_KAFKA_SASL_PASSWORD_FILE, --sasl-password-file)`,
    );
  }
  return { ...(tls !== undefined ? { tls } : {}), sasl: { mechanism, username: s.saslUsername, password } };
}
