import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/** Fields every sluice log line can carry, so logs filter by topology, stage and partition. */
export interface LogBindings {
  topology?: string;
  stage?: string;
  partition?: number;
  instance?: string;
  [extra: string]: unknown;
}

export const REDACTED = '[redacted]';

/**
 * Where secrets sit in what sluice logs: passwords and tokens at the top or one
 * level down, SASL credentials and TLS keys inside Kafka security settings
 * (as a coordinator or a stage instance's parameters carry them), key rings.
 */
export const REDACTED_PATHS: readonly string[] = [
  'password',
  '*.password',
  'sasl.password',
  '*.sasl.password',
  'security.sasl.password',
  '*.security.sasl.password',
  'tls.key',
  '*.tls.key',
  'security.tls.key',
  '*.security.tls.key',
  'ssl.key',
  '*.ssl.key',
  'keys',
  '*.keys',
  'secret',
  '*.secret',
  'token',
  '*.token',
];

/**
 * JSON logs to stderr, keeping stdout free for data (the stdout sink, `--json`
 * output). Level from SLUICE_LOG_LEVEL; by default info, or warn when stderr is
 * a terminal, where a person reads the command's own summary instead. Secrets
 * are redacted wherever they appear in the usual places.
 */
export function createLogger(bindings: LogBindings = {}, options: LoggerOptions = {}): Logger {
  const base = pino(
    {
      name: 'sluice',
      level: process.env.SLUICE_LOG_LEVEL ?? (process.stderr.isTTY ? 'warn' : 'info'),
      redact: { paths: [...REDACTED_PATHS], censor: REDACTED },
      ...options,
    },
    pino.destination({ fd: 2, sync: false }),
  );
  return Object.keys(bindings).length > 0 ? base.child(bindings) : base;
}

/** A logger that writes nothing: for libraries used without a logger and for benchmarks. */
export const silentLogger: Logger = pino({ level: 'silent' });
