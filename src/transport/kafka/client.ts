/**
 * The one place a kafkajs client is made: its logs go to pino, and record-batch
 * codecs beyond kafkajs' built-in gzip are registered here (lz4, snappy; not
 * zstd: the codec kafkajs documents, @kafkajs/zstd, does not build on Node.js
 * 20, so topologies cannot ask for it).
 */
import kafkajs, { type CompressionTypes as CompressionType, type Kafka, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import type { Logger } from '../../core/index.ts';
import type { Compression, KafkaSecurity } from '../types.ts';
import { registerKafkaLz4Codec } from './lz4-codec.ts';
import { registerKafkaSnappyCodec } from './snappy-codec.ts';
import { registerStableOffsetFetch } from './stable-offsets.ts';

const { CompressionTypes, logLevel } = kafkajs;

// kafkajs keeps codecs in one process-wide table and ships neither LZ4 nor Snappy.
registerKafkaLz4Codec();
registerKafkaSnappyCodec();
// ...and its request versions in another, which stops before offset fetches that wait for transactions.
registerStableOffsetFetch();

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  security?: KafkaSecurity;
}

/**
 * kafkajs' info level narrates every join and fetch: debug for sluice. Its
 * Connection namespace logs every error response at error level, including
 * the retriable ones it then retries (a topic still being created); what it
 * gives up on is thrown to the caller as a SluiceError, so those are debug too.
 */
function logCreator(logger: Logger): () => (entry: LogEntry) => void {
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
      const bindings = { component: 'kafkajs', namespace, ...fields };
      if (level === logLevel.ERROR && namespace !== 'Connection') logger.error(bindings, message);
      else if (level === logLevel.WARN) logger.warn(bindings, message);
      else logger.debug(bindings, message);
    };
}

/** kafkajs' `ssl` and `sasl` settings; a TLS block with nothing in it is plain `ssl: true` (system CAs). */
export function kafkaJsSecurity(security: KafkaSecurity | undefined): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const tls = security?.tls;
  const sasl = security?.sasl;
  return {
    ...(tls !== undefined ? { ssl: Object.keys(tls).length === 0 ? true : { ...tls } } : {}),
    ...(sasl !== undefined ? { sasl: { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } as SASLOptions } : {}),
  };
}

export function createKafkaClient(options: KafkaClientOptions): Kafka {
  return new kafkajs.Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logLevel.DEBUG,
    logCreator: logCreator(options.logger),
    ...kafkaJsSecurity(options.security),
  });
}

export function compressionType(compression: Compression): CompressionType {
  switch (compression) {
    case 'lz4':
      return CompressionTypes.LZ4;
    case 'gzip':
      return CompressionTypes.GZIP;
    case 'snappy':
      return CompressionTypes.Snappy;
    case 'none':
      return CompressionTypes.None;
  }
}
