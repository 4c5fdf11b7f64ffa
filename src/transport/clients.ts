/**
 * The Kafka client libraries a transport can run on, by the names topologies,
 * `--kafka-client` and SLUICE_KAFKA_CLIENT use. A module of its own so the
 * topology schema can name them without importing either library.
 */
export const kafkaClients = ['kafkajs', 'platformatic'] as const;

export type KafkaClient = (typeof kafkaClients)[number];

/** The faster on this project's benchmarks (word count 0.65x Kafka Streams against kafkajs' 0.34x), passing the same suite. */
export const DEFAULT_KAFKA_CLIENT: KafkaClient = 'platformatic';
