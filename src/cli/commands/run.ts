/**
 * `sluice run FILE`: the coordinator runs every node of a topology (or
 * `--node a,b`): on Kafka each stage instance in its own worker thread (or
 * process), restarted after crashes, with triggers, monitoring and the HTTP
 * status server on `--port`; without brokers (`--brokers`, KAFKA_BROKERS or
 * the file's `kafka.brokers`) every stage in this process on the embedded
 * transport, exiting once every stage has drained. SIGINT/SIGTERM stop
 * gracefully (drain, acknowledge, commit, leave the group) within
 * `--shutdown-timeout`; a second signal forces a non-zero exit.
 */
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { ErrorCodes, SluiceError, createLogger } from '../../core/index.ts';
import { Coordinator, DEFAULT_POLL_INTERVAL_MS, DEFAULT_PORT, coordinatorPolicy, parseInstances, type HttpOptions, type Isolation } from '../../coordinator/index.ts';
import type { RunReport } from '../../runtime/index.ts';
import { loadTopology } from '../../topology/index.ts';
import { deadLetterSummary, writeDeadLetterFiles, type WrittenDeadLetters } from '../dead-letters.ts';
import { NAMESPACE_HELP, namespaceOption } from '../namespace.ts';
import { milliseconds, wholeNumber } from '../numbers.ts';
import { brokersOf } from './cluster.ts';
import { connectionOf, warnOnStderr, type KafkaSecurityFlags } from './kafka-security.ts';
import { collectList, tokenOf, type TokenFlags } from './http-token.ts';
import type { RegisterCommand } from './index.ts';

/** Under the working directory, as Kafka Streams' state.dir is per application: `.sluice/state/<topology>/<node>/...`. */
export const DEFAULT_STATE_DIR = '.sluice/state';

interface RunCliOptions extends KafkaSecurityFlags, TokenFlags {
  brokers?: string;
  node?: string;
  untilCaughtUp?: boolean;
  fromStart?: boolean;
  stateDir?: string;
  shutdownTimeout: string;
  commitInterval: string;
  keyFile?: string;
  schemaRegistry?: string;
  namespace?: string;
  instances?: string;
  isolation: string;
  port?: string;
  host: string;
  allowHost?: string[];
  allowOrigin?: string[];
  insecureNoToken?: boolean;
  pollInterval: string;
  sessionTimeout?: string;
  deadLetters?: string;
}


function isolationOf(text: string): Isolation {
  if (text !== 'thread' && text !== 'process') throw new SluiceError(ErrorCodes.CLI_USAGE, `--isolation is thread or process, got \`${text}\``);
  return text;
}

/**
 * Kafka runs serve HTTP on the default port unless it is taken; embedded runs
 * only when asked. The request policy is checked here, before anything starts:
 * off loopback without a token is refused (SLUICE_ERR_INSECURE) unless
 * --insecure-no-token, and then warned about.
 */
function httpOptions(opts: RunCliOptions, kafka: boolean): HttpOptions | undefined {
  if (opts.port === undefined && !kafka) return undefined;
  const port = opts.port !== undefined ? wholeNumber('--port', opts.port, 0, 65_535) : DEFAULT_PORT;
  const token = tokenOf(opts, process.env, warnOnStderr);
  const http: HttpOptions = {
    port,
    host: opts.host,
    required: opts.port !== undefined,
    ...(token !== undefined ? { token } : {}),
    ...(opts.allowHost !== undefined ? { allowHosts: opts.allowHost } : {}),
    ...(opts.allowOrigin !== undefined ? { allowOrigins: opts.allowOrigin } : {}),
    ...(opts.insecureNoToken === true ? { insecureNoToken: true } : {}),
  };
  if (coordinatorPolicy({ ...http, host: opts.host }).unguarded) {
    warnOnStderr(`--insecure-no-token: the HTTP server on ${opts.host} can start stages and shows the topology to anyone who reaches it`);
  }
  return http;
}

function summary(report: RunReport, deadLetters: readonly WrittenDeadLetters[]): string {
  const cwd = process.cwd();
  const rows = report.stages.map(
    (s) =>
      `  ${s.node.padEnd(22)} read ${String(s.read).padStart(8)}  written ${String(s.written).padStart(8)}  dead-lettered ${String(s.deadLettered).padStart(4)}${s.retried > 0 ? `  retried ${s.retried}` : ''}  → ${s.output.replace(/^file (.*)$/, (_m, p: string) => `file ${relative(cwd, p)}`)}`,
  );
  const failed = report.failed.map((f) => `  ${f.node} FAILED: ${f.error}${f.code ? ` [${f.code}]` : ''}`);
  return [`sluice: topology ${report.topology} on the ${report.transport} transport`, ...rows, ...failed, ...deadLetterSummary(deadLetters, cwd)].join('\n') + '\n';
}

export const registerRun: RegisterCommand = (program: Command) => {
  program
    .command('run')
    .description('run a topology: every node as a stage (embedded in-process transport unless brokers are given)')
    .argument('<file>', 'topology file (.yaml, .yml or .json)')
    .option('--brokers <list>', 'Kafka bootstrap brokers, comma-separated (default: $KAFKA_BROKERS, else the embedded transport)')
    .option('--node <ids>', 'run only these nodes, comma-separated')
    .option('--until-caught-up', 'stop each stage once it has read its topics up to their end offsets (always on when embedded)')
    .option('--from-start', 'file and counted generator sources read from the start, ignoring how far earlier runs got')
    .option('--state-dir <dir>', `where state stores keep their local copies on Kafka (default ${DEFAULT_STATE_DIR}; embedded runs keep them in memory)`)
    .option('--shutdown-timeout <ms>', 'how long a graceful stop may take before exiting non-zero', '30000')
    .option('--commit-interval <ms>', 'how often settled input offsets are committed', '1000')
    .option('--namespace <name>', `${NAMESPACE_HELP}: isolates copies of one topology`)
    .option('--key-file <path>', 'aes-gcm keys file (default: the SLUICE_KEYS environment variable)')
    .option('--schema-registry <url>', "schema registry for avro-confluent topics, overriding the topology's schema-registry.url")
    .option('--instances <list>', 'instances per node, overriding the file: node=N, comma-separated')
    .option('--isolation <kind>', 'where each stage instance runs on Kafka: thread or process', 'thread')
    .option('--port <n>', `HTTP status server port (0 = any free port; default ${DEFAULT_PORT} on Kafka, none when embedded)`)
    .option('--host <addr>', 'address the HTTP status server binds; off loopback it needs a token', '127.0.0.1')
    .option('--allow-host <names>', 'more Host names the HTTP server answers (besides loopback and its address), comma-separated, repeatable', collectList)
    .option('--allow-origin <origins>', 'origins (http://host:port) whose pages may call the HTTP server, comma-separated, repeatable', collectList)
    .option('--insecure-no-token', 'serve HTTP off loopback without a token (anyone who reaches it can trigger nodes)')
    .option('--poll-interval <ms>', 'how often consumer groups are sampled for status, metrics and alerts', String(DEFAULT_POLL_INTERVAL_MS))
    .option('--dead-letters <dir>', "embedded runs: where each dead-letter topic that holds any is written as <topic>.ndjson (default: the topology's folder's out/)")
    .option('--session-timeout <ms>', 'Kafka group session timeout: how soon a killed instance is noticed (default 30000)')
    .action(async (file: string, opts: RunCliOptions) => {
      const shutdownMs = milliseconds('--shutdown-timeout', opts.shutdownTimeout);
      const commitIntervalMs = milliseconds('--commit-interval', opts.commitInterval);
      // It runs the modules' code anyway: importing them now reports a broken one with its position, before any stage starts.
      const topology = await loadTopology(file, { loadModules: true, ...(opts.keyFile !== undefined ? { keyFile: opts.keyFile } : {}) });
      const brokers = brokersOf(opts.brokers, topology);
      const pollIntervalMs = milliseconds('--poll-interval', opts.pollInterval, 100);
      const http = httpOptions(opts, brokers !== undefined);
      const connection = brokers !== undefined ? connectionOf(opts, topology, process.env, warnOnStderr) : {};
      const logger = createLogger();
      // Handled from before the start, which takes seconds (topics, connections, workers): a stop
      // asked for meanwhile (an orchestrator scaling down) is as graceful as one asked for later.
      let run: Awaited<ReturnType<typeof Coordinator.start>> | undefined;
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        if (++signals > 1) {
          logger.error({ signal }, 'second signal: exiting now');
          process.exit(130);
        }
        logger.info({ signal, timeoutMs: shutdownMs }, 'stopping: draining, acknowledging and committing');
        run?.stop();
        setTimeout(() => {
          logger.error({ timeoutMs: shutdownMs }, 'graceful stop took too long: exiting');
          process.exit(1);
        }, shutdownMs).unref();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        run = await Coordinator.start({
          topology,
          logger,
          commitIntervalMs,
          pollIntervalMs,
          isolation: isolationOf(opts.isolation),
          ...(brokers !== undefined ? { brokers } : {}),
          ...connection,
          ...(http !== undefined ? { http } : {}),
          ...(opts.node !== undefined ? { nodes: opts.node.split(',').map((n) => n.trim()) } : {}),
          ...(opts.untilCaughtUp ? { untilCaughtUp: true } : {}),
          ...(opts.fromStart ? { fromStart: true } : {}),
          ...(brokers !== undefined ? { stateDir: opts.stateDir ?? DEFAULT_STATE_DIR } : {}),
          ...(opts.keyFile !== undefined ? { keyFile: opts.keyFile } : {}),
          ...(opts.schemaRegistry !== undefined ? { schemaRegistry: opts.schemaRegistry } : {}),
          ...namespaceOption(opts.namespace),
          ...(opts.instances !== undefined ? { instances: parseInstances(opts.instances) } : {}),
          ...(opts.sessionTimeout !== undefined ? { sessionTimeoutMs: milliseconds('--session-timeout', opts.sessionTimeout, 1_000) } : {}),
        });
        if (signals > 0) run.stop();
        if (run.http !== undefined) process.stderr.write(`sluice: status on ${run.http.url}/ (metrics ${run.http.url}/metrics)\n`);
        const report = await run.done;
        await run.close();
        const written = writeDeadLetterFiles(opts.deadLetters !== undefined ? resolve(opts.deadLetters) : join(topology.dir, 'out'), report.deadLetters ?? []);
        process.stderr.write(summary(report, written));
        process.exitCode = report.failed.length > 0 ? 1 : 0;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
};
