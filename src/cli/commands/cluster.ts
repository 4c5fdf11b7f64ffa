/** What the commands that reach a cluster share: where the brokers are, and the plan of the topology on them. */
import { ErrorCodes, SluiceError } from '../../core/index.ts';
import type { Topology } from '../../topology/index.ts';

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
}

/**
 * `--brokers`, else KAFKA_BROKERS, else the file's `kafka.brokers`; undefined when none is given.
 *
 * A flag that names no broker (`--brokers ''`, `--brokers "$UNSET"`, `' , '`) is refused: read as
 * "none given" it would run on the embedded transport while the user meant a cluster. A KAFKA_BROKERS
 * that is empty or blank counts as unset, since shells commonly leave a variable exported empty; one
 * with text that still names no broker (`,`) is refused like the flag.
 */
export function brokersOf(flag: string | undefined, topology: Topology | undefined, env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  if (flag !== undefined) {
    const brokers = splitList(flag);
    if (brokers.length === 0) {
      throw new SluiceError(ErrorCodes.CLI_USAGE, `--brokers \`${flag}\` names no broker: give host:port[,host:port], or leave the flag out`);
    }
    return brokers;
  }
  const fromEnv = env.KAFKA_BROKERS;
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    const brokers = splitList(fromEnv);
    if (brokers.length === 0) {
      throw new SluiceError(ErrorCodes.CLI_USAGE, `KAFKA_BROKERS \`${fromEnv}\` names no broker: set it to host:port[,host:port], or unset it`);
    }
    return brokers;
  }
  const fromFile = topology?.kafka?.brokers;
  return fromFile !== undefined && fromFile.length > 0 ? [...fromFile] : undefined;
}

/** For commands that only make sense against Kafka: embedded topics live inside one `sluice run`. */
export function requireBrokers(flag: string | undefined, topology: Topology | undefined, command: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const brokers = brokersOf(flag, topology, env);
  if (brokers === undefined) {
    const fromFile = topology !== undefined ? `, or kafka.brokers in ${topology.file}` : '';
    throw new SluiceError(ErrorCodes.CLI_USAGE, `sluice ${command} reads a Kafka cluster: give --brokers (or KAFKA_BROKERS${fromFile})`);
  }
  return brokers;
}
