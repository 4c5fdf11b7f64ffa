/** What the commands that reach a cluster share: where the brokers are, and the plan of the topology on them. */
import { ErrorCodes, SluiceError } from '../../core/index.ts';
import type { Topology } from '../../topology/index.ts';

/** `--brokers`, else KAFKA_BROKERS, else the file's `kafka.brokers`; undefined when none is given. */
export function brokersOf(flag: string | undefined, topology: Topology): string[] | undefined {
  const list = flag ?? process.env.KAFKA_BROKERS ?? topology.kafka?.brokers.join(',');
  const brokers = list?.split(',').map((b) => b.trim()).filter(Boolean);
  return brokers !== undefined && brokers.length > 0 ? brokers : undefined;
}

/** For commands that only make sense against Kafka: embedded topics live inside one `sluice run`. */
export function requireBrokers(flag: string | undefined, topology: Topology, command: string): string[] {
  const brokers = brokersOf(flag, topology);
  if (brokers === undefined) {
    throw new SluiceError(ErrorCodes.CLI_USAGE, `sluice ${command} reads a Kafka cluster: give --brokers (or KAFKA_BROKERS, or kafka.brokers in ${topology.file})`);
  }
  return brokers;
}
