/**
 * What every @platformatic/kafka client of sluice shares: brokers, TLS and
 * SASL from the same `KafkaSecurity` kafkajs gets, a retry policy close to
 * kafkajs' (about ten seconds of growing waits before an operation fails, so
 * a broker that is away surfaces as SLUICE_ERR_BROKER_UNAVAILABLE instead of
 * hanging: the client's idempotent producer would otherwise retry forever),
 * sluice's LZ4 codec and capped snappy decompression for record batches, and the client's connection events
 * in the pino log.
 */
import { SASLMechanisms, type BaseOptions, type Base } from '@platformatic/kafka';
import type { Logger } from '../../core/index.ts';
import type { KafkaSecurity, SaslMechanism } from '../types.ts';
import { isAuthenticationFailure } from './errors.ts';
import { registerPlatformaticLz4 } from './lz4.ts';
import { registerPlatformaticSnappy } from './snappy.ts';

registerPlatformaticLz4();
registerPlatformaticSnappy();

export interface PlatformaticClientOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  security?: KafkaSecurity;
}

const RETRIES = 6;
/**
 * 250 ms, doubling, at most 3 s: 9.75 s in all. The client retries refused
 * credentials too (its connection error wraps them and says it may retry):
 * those go again at once, so a wrong password fails in well under a second.
 */
export const retryDelay = (_client: unknown, _operation: string, attempt: number, _retries: number, error: Error): number =>
  isAuthenticationFailure(error) ? 0 : Math.min(250 * 2 ** (attempt - 1), 3_000);

const MECHANISMS: Record<SaslMechanism, (typeof SASLMechanisms)[keyof typeof SASLMechanisms]> = {
  plain: SASLMechanisms.PLAIN,
  'scram-sha-256': SASLMechanisms.SCRAM_SHA_256,
  'scram-sha-512': SASLMechanisms.SCRAM_SHA_512,
};

/** The client's `tls` and `sasl`; a TLS block with nothing in it is TLS against the system CAs. */
export function platformaticSecurity(security: KafkaSecurity | undefined): Pick<BaseOptions, 'tls' | 'sasl'> {
  const tls = security?.tls;
  const sasl = security?.sasl;
  return {
    ...(tls !== undefined ? { tls: { ...tls } } : {}),
    ...(sasl !== undefined ? { sasl: { mechanism: MECHANISMS[sasl.mechanism], username: sasl.username, password: sasl.password } } : {}),
  };
}

/** `timeoutMs` bounds each request; the client also sends it as a produce's and a transaction's timeout. */
export function clientOptions(options: PlatformaticClientOptions, timeoutMs = 30_000): BaseOptions {
  return {
    clientId: options.clientId,
    bootstrapBrokers: options.brokers,
    timeout: timeoutMs,
    connectTimeout: 10_000,
    retries: RETRIES,
    retryDelay,
    ...platformaticSecurity(options.security),
  };
}

/** Connection trouble the client retries by itself is debug; what it gives up on reaches the caller as a SluiceError. */
export function logClientEvents(client: Base, logger: Logger, fields: Record<string, unknown> = {}): void {
  const log = (event: string) => (payload: { broker?: { host: string; port: number } }) =>
    logger.debug({ component: '@platformatic/kafka', ...fields, broker: payload?.broker }, event);
  for (const event of ['client:broker:connect', 'client:broker:disconnect', 'client:broker:failed'] as const) client.on(event, log(event));
}
