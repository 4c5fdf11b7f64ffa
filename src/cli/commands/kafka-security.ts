/**
 * TLS, SASL and the client library for every command that reaches Kafka. A
 * setting comes from the command line, else the environment, else the
 * topology's `kafka:` section.
 * Passwords belong in the environment or a file: one given on the command
 * line works, with a warning, since the process list and shell history keep
 * it.
 */
import { Option, type Command } from 'commander';
import type { RegisterCommand } from './index.ts';
import type { Topology } from '../../topology/index.ts';
import { DEFAULT_KAFKA_CLIENT, kafkaClient, kafkaClients, kafkaSecurity, saslMechanisms, type KafkaClient, type KafkaSecurity } from '../../transport/index.ts';

/** What commander hands an action from the options below. */
export interface KafkaSecurityFlags {
  ssl?: boolean;
  sslCa?: string;
  sslCert?: string;
  sslKey?: string;
  sslNoVerify?: boolean;
  saslMechanism?: string;
  saslUsername?: string;
  saslPassword?: string;
  saslPasswordFile?: string;
  insecure?: boolean;
  kafkaClient?: KafkaClient;
}

export const SECURITY_ENV = {
  ssl: 'SLUICE_KAFKA_SSL',
  sslCa: 'SLUICE_KAFKA_SSL_CA',
  sslCert: 'SLUICE_KAFKA_SSL_CERT',
  sslKey: 'SLUICE_KAFKA_SSL_KEY',
  saslMechanism: 'SLUICE_KAFKA_SASL_MECHANISM',
  saslUsername: 'SLUICE_KAFKA_SASL_USERNAME',
  saslPassword: 'SLUICE_KAFKA_SASL_PASSWORD',
  saslPasswordFile: 'SLUICE_KAFKA_SASL_PASSWORD_FILE',
} as const;

export function addKafkaSecurityOptions(command: Command): Command {
  return command
    .option('--ssl', `connect with TLS (system CAs unless --ssl-ca; $${SECURITY_ENV.ssl}=true)`)
    .option('--ssl-ca <file>', `PEM file of the CA that signed the brokers' certificates ($${SECURITY_ENV.sslCa})`)
    .option('--ssl-cert <file>', `PEM client certificate, with --ssl-key ($${SECURITY_ENV.sslCert})`)
    .option('--ssl-key <file>', `PEM client key ($${SECURITY_ENV.sslKey})`)
    .option('--ssl-no-verify', 'accept any broker certificate (refused without --insecure)')
    .option('--sasl-mechanism <name>', `${saslMechanisms.join(', ')} ($${SECURITY_ENV.saslMechanism})`)
    .option('--sasl-username <name>', `($${SECURITY_ENV.saslUsername})`)
    .option('--sasl-password-file <file>', `file holding the SASL password ($${SECURITY_ENV.saslPasswordFile}, or $${SECURITY_ENV.saslPassword})`)
    .option('--sasl-password <secret>', `avoid: visible in the process list; use $${SECURITY_ENV.saslPassword} or --sasl-password-file`)
    .option('--insecure', 'allow SASL PLAIN without TLS and --ssl-no-verify')
    .addOption(new Option('--kafka-client <name>', `the Kafka client library ($SLUICE_KAFKA_CLIENT, else the file's kafka.client)`).choices(kafkaClients));
}

/** The warning sink the commands use: one line on stderr. */
export const warnOnStderr = (message: string): void => void process.stderr.write(`sluice: warning: ${message}\n`);

/** The commands whose clients reach Kafka: each takes the options below. */
const KAFKA_COMMANDS = new Set(['run', 'publish', 'status', 'topics', 'test', 'redrive']);

/** Registered after the commands themselves: adds the TLS and SASL options to those that reach Kafka. */
export const registerKafkaSecurity: RegisterCommand = (program) => {
  for (const command of program.commands) if (KAFKA_COMMANDS.has(command.name())) addKafkaSecurityOptions(command);
};

const truthy = (v: string | undefined) => v !== undefined && /^(1|true|yes|on)$/i.test(v);

/** How a command's Kafka clients connect: spread into the transport's options. */
export interface KafkaConnection {
  client: KafkaClient;
  security?: KafkaSecurity;
}

export function connectionOf(flags: KafkaSecurityFlags, topology: Topology | undefined, env: NodeJS.ProcessEnv, warn: (message: string) => void): KafkaConnection {
  const security = securityOf(flags, topology, env, warn);
  // commander checked the flag's name and zod the file's; kafkaClient checks the variable's.
  const client = flags.kafkaClient ?? (env.SLUICE_KAFKA_CLIENT ? kafkaClient({}, env) : topology?.kafka?.client) ?? DEFAULT_KAFKA_CLIENT;
  return { client, ...(security !== undefined ? { security } : {}) };
}

/**
 * The security a command's Kafka clients use; undefined for plaintext with
 * no authentication. `warn` hears about a password given on the command line.
 */
function securityOf(
  flags: KafkaSecurityFlags,
  topology: Topology | undefined,
  env: NodeJS.ProcessEnv,
  warn: (message: string) => void,
): KafkaSecurity | undefined {
  if (flags.saslPassword !== undefined) {
    warn(
      `--sasl-password leaves the password in the process list and the shell history; ` +
        `set ${SECURITY_ENV.saslPassword} or give --sasl-password-file instead`,
    );
  }
  const file = topology?.kafka;
  const pick = <T>(...values: Array<T | undefined>): T | undefined => values.find((v) => v !== undefined);
  return kafkaSecurity({
    tls: flags.ssl === true || truthy(env[SECURITY_ENV.ssl]) || file?.ssl === true,
    tlsCaFile: pick(flags.sslCa, env[SECURITY_ENV.sslCa]),
    tlsCertFile: pick(flags.sslCert, env[SECURITY_ENV.sslCert]),
    tlsKeyFile: pick(flags.sslKey, env[SECURITY_ENV.sslKey]),
    tlsNoVerify: flags.sslNoVerify === true,
    saslMechanism: pick(flags.saslMechanism, env[SECURITY_ENV.saslMechanism], file?.sasl?.mechanism),
    saslUsername: pick(flags.saslUsername, env[SECURITY_ENV.saslUsername], file?.sasl?.username),
    saslPasswordFile: pick(flags.saslPasswordFile, env[SECURITY_ENV.saslPasswordFile]),
    saslPassword: pick(flags.saslPassword, env[SECURITY_ENV.saslPassword], file?.sasl?.password),
    insecure: flags.insecure === true,
  });
}
