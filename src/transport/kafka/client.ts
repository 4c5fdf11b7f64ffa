/**
 * The one place a kafkajs client is made: its logs go to pino, and record-batch
 * codecs beyond kafkajs' built-in gzip are registered here (lz4, snappy; not
 * zstd: the codec kafkajs documents, @kafkajs/zstd, does not build on Node.js
 * 20, so topologies cannot ask for it).
 */
import kafkajs, { type CompressionTypes as CompressionType, type Kafka, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import { ErrorCodes, SluiceError, type ErrorCode, type ErrorContext, type Logger } from '../../core/index.ts';
import { kafkaCall } from './errors.ts';
import type { Compression, KafkaSecurity } from '../types.ts';
import { registerKafkaLz4Codec } from './lz4-codec.ts';
import { registerProduceResults } from './produce-results.ts';
import { registerKafkaSnappyCodec } from './snappy-codec.ts';
import { BrokerGuard } from './socket.ts';
import { registerStableOffsetFetch } from './stable-offsets.ts';

const { CompressionTypes, logLevel } = kafkajs;

// kafkajs keeps codecs in one process-wide table and ships neither LZ4 nor Snappy.
registerKafkaLz4Codec();
registerKafkaSnappyCodec();
// ...and its request versions in another, which stops before offset fetches that wait for transactions,
registerStableOffsetFetch();
// ...and whose produce errors do not say which partitions were written.
registerProduceResults();

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

/** Each client's guard over its sockets (socket.ts), for `connectKafka`. */
const guards = new WeakMap<Kafka, BrokerGuard>();

export function createKafkaClient(options: KafkaClientOptions): Kafka {
  const guard = new BrokerGuard(options.brokers);
  const kafka = new kafkajs.Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logLevel.DEBUG,
    logCreator: logCreator(options.logger),
    socketFactory: guard.socketFactory,
    ...kafkaJsSecurity(options.security),
  });
  guards.set(kafka, guard);
  return kafka;
}

/**
 * Connects a kafkajs admin, producer or consumer of `kafka`, failing at once
 * with SLUICE_ERR_BROKER_PROTOCOL when every seed broker turns out not to
 * speak Kafka, rather than after kafkajs' retries; the client is then
 * disconnected so its retries stop.
 */
export async function connectKafka(
  kafka: Kafka,
  client: { connect(): Promise<void>; disconnect(): Promise<void> },
  code: ErrorCode = ErrorCodes.BROKER_UNAVAILABLE,
  context: ErrorContext = {},
): Promise<void> {
  const connecting = kafkaCall(code, context, () => client.connect());
  const guard = guards.get(kafka);
  if (guard === undefined) return connecting;
  let stop = (): void => undefined;
  const refused = new Promise<never>((_, reject) => {
    stop = guard.onEverySeedRefused((err) => reject(new SluiceError(ErrorCodes.BROKER_PROTOCOL, err.message, { cause: err, context })));
  });
  try {
    await Promise.race([connecting, refused]);
  } catch (err) {
    if (err instanceof SluiceError && err.code === ErrorCodes.BROKER_PROTOCOL) {
      // kafkajs' connect goes on retrying in the background: let it fail quietly.
      connecting.catch(() => undefined);
      await client.disconnect().catch(() => undefined);
    }
    throw err;
  } finally {
    stop();
  }
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
