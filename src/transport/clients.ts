/**
 * The Kafka client libraries a transport can run on, by the names topologies,
 * `--kafka-client` and SLUICE_KAFKA_CLIENT use. A module of its own so the
 * topology schema can name them without importing either library.
 */
export const kafkaClients = ['kafkajs', 'platformatic'] as const;

export type KafkaClient = (typeof kafkaClients)[number];

export const DEFAULT_KAFKA_CLIENT: KafkaClient = 'kafkajs';
