/** The transport layer's public face: the Transport interface and its implementations. */
import { ErrorCodes, SluiceError } from '../core/index.ts';
import { getEmbeddedBroker } from './embedded/broker.ts';
import { createEmbeddedTransport } from './embedded/transport.ts';
import { createKafkaTransport } from './kafka/transport.ts';
import type { ClusterAdmin, Transport, TransportOptions } from './types.ts';
import { DEFAULT_KAFKA_CLIENT, kafkaClients, type KafkaClient } from './clients.ts';
import { createEmbeddedClusterAdmin } from './embedded/admin.ts';
import { createKafkaClusterAdmin } from './kafka/admin.ts';
import { loadOnFirstUse } from './lazy.ts';

export type * from './types.ts';
export { EmbeddedBroker, getEmbeddedBroker } from './embedded/broker.ts';
export { createEmbeddedTransport } from './embedded/transport.ts';
export { createSourceStream, SourceStream, type SourceStreamOptions } from './source.ts';
export { createSinkStream, SinkStream, type SinkRecord, type SinkStreamOptions } from './sink.ts';
export { createPartitioner, murmur2, partitionForKey } from './partitioner.ts';
export { partitionKey } from './assignment.ts';
export { createEmbeddedClusterAdmin } from './embedded/admin.ts';
export { RecordsRefusedError, refusedRecords, type RefusedRecord } from './refused.ts';
export { kafkaSecurity, saslMechanisms, type KafkaSecuritySettings } from './kafka/security.ts';

export { DEFAULT_KAFKA_CLIENT, kafkaClients, type KafkaClient } from './clients.ts';

/** The option if given, else SLUICE_KAFKA_CLIENT, else the default: the one place the variable is read. */
export function kafkaClient(options: Pick<TransportOptions, 'client'>, env: NodeJS.ProcessEnv = process.env): KafkaClient {
  const chosen = options.client ?? env.SLUICE_KAFKA_CLIENT;
  if (chosen === undefined || chosen === '') return DEFAULT_KAFKA_CLIENT;
  if (!(kafkaClients as readonly string[]).includes(chosen)) {
    const from = options.client !== undefined ? 'client option' : 'SLUICE_KAFKA_CLIENT';
    throw new SluiceError(ErrorCodes.CONFIG_INVALID, `unknown Kafka client \`${chosen}\` (${from}): one of ${kafkaClients.join(', ')}`, { context: { client: chosen } });
  }
  return chosen as KafkaClient;
}

function kafkaOptions(options: TransportOptions & { brokers: string[] }) {
  return { brokers: options.brokers, clientId: options.clientId, logger: options.logger, ...(options.security !== undefined ? { security: options.security } : {}) };
}

function hasBrokers(options: TransportOptions): options is TransportOptions & { brokers: string[] } {
  return options.brokers !== undefined && options.brokers.length > 0;
}

/** Kafka when brokers are given (through the client `kafkaClient` names), else the process-wide embedded broker. */
export function createTransport(options: TransportOptions): Transport {
  if (!hasBrokers(options)) return createEmbeddedTransport(getEmbeddedBroker());
  if (kafkaClient(options) !== 'platformatic') return createKafkaTransport(kafkaOptions(options));
  return loadOnFirstUse<Transport>({ kind: 'kafka', client: 'platformatic' }, async () =>
    (await import('./platformatic/transport.ts')).createPlatformaticTransport(kafkaOptions(options)),
  );
}

/** Monitoring reads (groups, offsets) of the cluster `createTransport` would reach with the same options. */
export function createClusterAdmin(options: TransportOptions): ClusterAdmin {
  if (!hasBrokers(options)) return createEmbeddedClusterAdmin(getEmbeddedBroker());
  if (kafkaClient(options) !== 'platformatic') return createKafkaClusterAdmin(kafkaOptions(options));
  return loadOnFirstUse<ClusterAdmin>({ kind: 'kafka' }, async () =>
    (await import('./platformatic/admin.ts')).createPlatformaticClusterAdmin(kafkaOptions(options)),
  );
}
