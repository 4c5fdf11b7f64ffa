/**
 * `sluice run FILE`: every node of a topology (or `--node a,b`) as a stage in
 * this process. Without brokers (`--brokers`, KAFKA_BROKERS or the file's
 * `kafka.brokers`) it runs on the embedded in-process transport and exits once
 * every stage has drained. SIGINT/SIGTERM stop gracefully (drain, acknowledge,
 * commit, leave the group) within `--shutdown-timeout`; a second signal forces
 * a non-zero exit.
 */
import { relative } from 'node:path';
import type { Command } from 'commander';
import { ErrorCodes, SluiceError, createLogger } from '../../core/index.ts';
import { TopologyRun, type RunReport } from '../../runtime/index.ts';
import { loadTopology } from '../../topology/index.ts';
import { createTransport } from '../../transport/index.ts';
import type { RegisterCommand } from './index.ts';

interface RunCliOptions {
  brokers?: string;
  node?: string;
  untilCaughtUp?: boolean;
  shutdownTimeout: string;
  commitInterval: string;
  keyFile?: string;
  namespace?: string;
}

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new SluiceError(ErrorCodes.CLI_USAGE, `${flag} must be a positive whole number, got \`${text}\``);
  }
  return n;
}

function summary(report: RunReport): string {
  const rows = report.stages.map(
    (s) =>
      `  ${s.node.padEnd(22)} read ${String(s.read).padStart(8)}  written ${String(s.written).padStart(8)}  dead-lettered ${String(s.deadLettered).padStart(4)}  → ${s.output.replace(/^file (.*)$/, (_m, p: string) => `file ${relative(process.cwd(), p)}`)}`,
  );
  const failed = report.failed.map((f) => `  ${f.node} FAILED: ${f.error}${f.code ? ` [${f.code}]` : ''}`);
  return [`sluice: topology ${report.topology} on the ${report.transport} transport`, ...rows, ...failed].join('\n') + '\n';
}

export const registerRun: RegisterCommand = (program: Command) => {
  program
    .command('run')
    .description('run a topology: every node as a stage (embedded in-process transport unless brokers are given)')
    .argument('<file>', 'topology file (.yaml, .yml or .json)')
    .option('--brokers <list>', 'Kafka bootstrap brokers, comma-separated (default: $KAFKA_BROKERS, else the embedded transport)')
    .option('--node <ids>', 'run only these nodes, comma-separated')
    .option('--until-caught-up', 'stop each stage once it has read its topics up to their end offsets (always on when embedded)')
    .option('--shutdown-timeout <ms>', 'how long a graceful stop may take before exiting non-zero', '30000')
    .option('--commit-interval <ms>', 'how often settled input offsets are committed', '1000')
    .option('--namespace <prefix>', 'prefix every topic and consumer group name (isolates copies of one topology)')
    .option('--key-file <path>', 'aes-gcm keys file (default: the SLUICE_KEYS environment variable)')
    .action(async (file: string, opts: RunCliOptions) => {
      const shutdownMs = positiveInt('--shutdown-timeout', opts.shutdownTimeout);
      const commitIntervalMs = positiveInt('--commit-interval', opts.commitInterval);
      const topology = await loadTopology(file);
      const brokerList = opts.brokers ?? process.env.KAFKA_BROKERS ?? topology.kafka?.brokers.join(',');
      const brokers = brokerList?.split(',').map((b) => b.trim()).filter(Boolean);
      const logger = createLogger();
      const transport = createTransport({ brokers, clientId: `sluice-${topology.name}`, logger });
      const run = await TopologyRun.start({
        topology,
        transport,
        logger,
        commitIntervalMs,
        ...(opts.node !== undefined ? { nodes: opts.node.split(',').map((n) => n.trim()) } : {}),
        ...(opts.untilCaughtUp ? { untilCaughtUp: true } : {}),
        ...(opts.keyFile !== undefined ? { keyFile: opts.keyFile } : {}),
        ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
      });

      let signals = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        if (++signals > 1) {
          logger.error({ signal }, 'second signal: exiting now');
          process.exit(130);
        }
        logger.info({ signal, timeoutMs: shutdownMs }, 'stopping: draining, acknowledging and committing');
        run.stop();
        setTimeout(() => {
          logger.error({ timeoutMs: shutdownMs }, 'graceful stop took too long: exiting');
          process.exit(1);
        }, shutdownMs).unref();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const report = await run.done;
        await transport.close();
        process.stderr.write(summary(report));
        process.exitCode = report.failed.length > 0 ? 1 : 0;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
};
