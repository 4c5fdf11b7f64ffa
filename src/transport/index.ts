/** The transport layer's public face: the Transport interface and its two implementations. */
import { getEmbeddedBroker } from './embedded/broker.ts';
import { createEmbeddedTransport } from './embedded/transport.ts';
import { createKafkaTransport } from './kafka/transport.ts';
import type { ClusterAdmin, Transport, TransportOptions } from './types.ts';
import { createEmbeddedClusterAdmin } from './embedded/admin.ts';
import { createKafkaClusterAdmin } from './kafka/admin.ts';

export type * from './types.ts';
export { EmbeddedBroker, getEmbeddedBroker } from './embedded/broker.ts';
export { createEmbeddedTransport } from './embedded/transport.ts';
export { createSourceStream, SourceStream, type SourceStreamOptions } from './source.ts';
export { createSinkStream, SinkStream, type SinkRecord, type SinkStreamOptions } from './sink.ts';
export { createPartitioner, murmur2, partitionForKey } from './partitioner.ts';
export { RecordsRefusedError, refusedRecords, type RefusedRecord } from './refused.ts';
export { kafkaSecurity, saslMechanisms, type KafkaSecuritySettings } from './kafka/security.ts';

/** Kafka when brokers are given, else the process-wide embedded broker. */
export function createTransport(options: TransportOptions): Transport {
  if (options.brokers !== undefined && options.brokers.length > 0) {
    return createKafkaTransport({ brokers: options.brokers, clientId: options.clientId, logger: options.logger, ...(options.security !== undefined ? { security: options.security } : {}) });
  }
  return createEmbeddedTransport(getEmbeddedBroker());
}

/** Monitoring reads (groups, offsets) of the cluster `createTransport` would reach with the same options. */
export function createClusterAdmin(options: TransportOptions): ClusterAdmin {
  if (options.brokers !== undefined && options.brokers.length > 0) {
    return createKafkaClusterAdmin({ brokers: options.brokers, clientId: options.clientId, logger: options.logger, ...(options.security !== undefined ? { security: options.security } : {}) });
  }
  return createEmbeddedClusterAdmin(getEmbeddedBroker());
}
