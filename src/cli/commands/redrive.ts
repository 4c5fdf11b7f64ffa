/**
 * `sluice redrive FILE --node NODE`: the node's dead letters back to the
 * topics they were read from (runtime/redrive.ts), once the cause of their
 * failure is fixed. On Kafka it reads the node's dead-letter topic with the
 * group `<topology>.<node>.redrive` up to its end as of the start, so it ends
 * by itself and a second run sends nothing the first did. An embedded run's
 * dead letters exist only in the file it wrote (`--from`), and go to a Kafka
 * cluster: an embedded topic would end with this process. Counts by error
 * code go to stdout: a table on a terminal, else one JSON line (`--json`
 * always). Exit 1 when a record could not be redriven.
 */
import type { Command } from 'commander';
import { ErrorCodes, SluiceError, createLogger } from '../../core/index.ts';
import { ensureTopics, planTopology } from '../../coordinator/index.ts';
import { parseDuration } from '../../processors/index.ts';
import { redriveFile } from '../../runtime/redrive-file.ts';
import { redriveTopic, whereOf, type RedriveCounts, type RedriveFilter, type RedriveReport, type RedriveSettings } from '../../runtime/redrive.ts';
import { loadTopology } from '../../topology/index.ts';
import { createClusterAdmin, createTransport } from '../../transport/index.ts';
import { namespaceOption, RUN_NAMESPACE_HELP } from '../namespace.ts';
import { brokersOf } from './cluster.ts';
import { connectionOf, warnOnStderr, type KafkaSecurityFlags } from './kafka-security.ts';
import type { RegisterCommand } from './index.ts';

interface RedriveCliOptions extends KafkaSecurityFlags {
  node: string;
  brokers?: string;
  namespace?: string;
  where?: string[];
  since?: string;
  to?: string;
  dryRun?: boolean;
  from?: string;
  json?: boolean;
}

/** Skipped and failed dead letters named on stderr before the rest are only counted. */
const SHOWN_NOTES = 20;

function collectWhere(text: string, previous: string[] = []): string[] {
  const match = /^code=(.+)$/.exec(text.trim());
  const codes = match === null ? [] : match[1]!.split(',').map((c) => c.trim());
  if (codes.length === 0 || codes.some((c) => !/^[A-Z][A-Z0-9_]*$/.test(c))) {
    throw new SluiceError(ErrorCodes.CLI_USAGE, `--where takes code=SLUICE_ERR_X[,SLUICE_ERR_Y], got \`${text}\``);
  }
  return [...previous, ...codes];
}

/** `--since`: an ISO-8601 time, or a duration (`2h`, `1d`) before now. */
function sinceOf(text: string, now: number): number {
  const ago = parseDuration(text.trim());
  if (ago !== undefined) return now - ago;
  const at = /^\d{4}-\d{2}-\d{2}/.test(text.trim()) ? Date.parse(text.trim()) : NaN;
  if (Number.isNaN(at)) throw new SluiceError(ErrorCodes.CLI_USAGE, `--since takes an ISO-8601 time (2026-01-31T12:00:00Z) or a duration before now (30m, 2h, 1d), got \`${text}\``);
  return at;
}

function totals(report: RedriveReport): RedriveCounts {
  const sum: RedriveCounts = { redriven: 0, skipped: 0, filtered: 0, failed: 0 };
  for (const counts of Object.values(report.byCode)) for (const k of Object.keys(sum) as Array<keyof RedriveCounts>) sum[k] += counts[k];
  return sum;
}

function table(report: RedriveReport): string {
  const columns: Array<keyof RedriveCounts> = ['redriven', 'skipped', 'filtered', 'failed'];
  const rows = Object.entries(report.byCode).sort(([a], [b]) => a.localeCompare(b));
  const width = Math.max(10, ...rows.map(([code]) => code.length));
  const line = (label: string, counts: RedriveCounts) => `  ${label.padEnd(width)}${columns.map((c) => String(counts[c]).padStart(10)).join('')}`;
  return [
    `sluice redrive: ${report.source}${report.group !== undefined ? ` (group ${report.group})` : ''}${report.dryRun ? ': dry run, nothing written or committed' : ''}`,
    `  ${'code'.padEnd(width)}${columns.map((c) => (report.dryRun && c === 'redriven' ? 'would' : c).padStart(10)).join('')}`,
    ...rows.map(([code, counts]) => line(code, counts)),
    line('total', totals(report)),
  ].join('\n') + '\n';
}

function printNotes(report: RedriveReport): void {
  const notes = [...report.failed.map((n) => ({ ...n, what: 'not redriven' })), ...report.skipped.map((n) => ({ ...n, what: 'skipped' }))];
  for (const n of notes.slice(0, SHOWN_NOTES)) process.stderr.write(`sluice: ${n.what} ${n.at} (${n.code}): ${n.reason}\n`);
  if (notes.length > SHOWN_NOTES) process.stderr.write(`sluice: … and ${notes.length - SHOWN_NOTES} more skipped or not redriven\n`);
}

const dryRunLine: RedriveSettings['onRecord'] = (deadLetter, outcome) => {
  const what = outcome.action === 'redrive' ? `would redrive → ${outcome.to}` : outcome.action === 'skip' ? `would skip: ${outcome.reason}` : 'filtered out';
  process.stderr.write(`sluice: ${whereOf(deadLetter)}: ${what}\n`);
};

export const registerRedrive: RegisterCommand = (program: Command) => {
  program
    .command('redrive')
    .description("write a node's dead letters back to the topics they came from (once the cause is fixed)")
    .argument('<file>', 'topology file (.yaml, .yml or .json)')
    .requiredOption('--node <id>', 'the node whose dead-letter topic is read')
    .option('--brokers <list>', "Kafka bootstrap brokers, comma-separated (default: $KAFKA_BROKERS, else the file's kafka.brokers)")
    .option('--namespace <name>', RUN_NAMESPACE_HELP)
    .option('--where <code=X>', 'only dead letters with these error codes: code=SLUICE_ERR_X[,…] (repeatable); the others are passed over and committed past', collectWhere)
    .option('--since <time>', 'only dead letters that failed since an ISO-8601 time or a duration ago (2h); the others, and any with no failure time (lines of an older sluice), are passed over and committed past')
    .option('--to <topic>', 'write every redriven record to this topic (as named, no namespace added) instead of its original one')
    .option('--dry-run', 'write and commit nothing: print what would be done')
    .option('--from <file.ndjson>', "the dead letters an embedded sluice run wrote (out/<dead-letter topic>.ndjson), redriven into --brokers")
    .option('--json', 'one JSON line even on a terminal')
    .action(async (file: string, opts: RedriveCliOptions) => {
      const now = Date.now();
      const filter: RedriveFilter = {
        ...(opts.where !== undefined ? { codes: new Set(opts.where) } : {}),
        ...(opts.since !== undefined ? { since: sinceOf(opts.since, now) } : {}),
      };
      if (opts.to !== undefined && opts.to.trim() === '') throw new SluiceError(ErrorCodes.CLI_USAGE, '--to names no topic');
      const topology = await loadTopology(file);
      const plan = planTopology(topology, namespaceOption(opts.namespace));
      const stage = plan.stages.find((s) => s.stage === opts.node);
      if (stage === undefined) throw new SluiceError(ErrorCodes.CLI_USAGE, `--node ${opts.node}: ${topology.file} has no such node; nodes: ${plan.stages.map((s) => s.stage).join(', ')}`);
      const brokers = brokersOf(opts.brokers, topology);
      if (brokers === undefined && !(opts.from !== undefined && opts.dryRun)) {
        throw new SluiceError(
          ErrorCodes.CLI_USAGE,
          opts.from === undefined
            ? `sluice redrive reads ${stage.deadLetter} on a Kafka cluster: give --brokers (or KAFKA_BROKERS, or kafka.brokers in ${topology.file}); an embedded run's dead letters are in the file it wrote: --from out/${stage.deadLetter}.ndjson --brokers B`
            : `sluice redrive --from ${opts.from} writes to a Kafka cluster (an embedded topic would end with this process): give --brokers, or --dry-run to see what would be sent`,
        );
      }
      const settings: RedriveSettings = {
        filter,
        dryRun: opts.dryRun === true,
        ...(opts.to !== undefined ? { to: opts.to } : {}),
        ...(opts.dryRun ? { onRecord: dryRunLine } : {}),
      };
      const logger = createLogger({ command: 'redrive' });
      const clientId = `sluice-redrive-${plan.topology.name}`;
      const connection = brokers !== undefined ? connectionOf(opts, topology, process.env, warnOnStderr) : {};
      const transport = brokers !== undefined ? createTransport({ brokers, clientId, logger, ...connection }) : undefined;
      let report: RedriveReport;
      try {
        if (opts.from !== undefined) {
          // The file's topics lived in an embedded broker: on a fresh cluster they are created as `sluice run` would.
          if (transport !== undefined && !opts.dryRun) await ensureTopics(transport, plan.topology);
          const producer = transport === undefined || opts.dryRun ? undefined : await transport.producer();
          try {
            report = await redriveFile(opts.from, producer, settings);
          } finally {
            await producer?.close();
          }
        } else {
          const admin = createClusterAdmin({ brokers: brokers!, clientId, logger, ...connection });
          try {
            report = await redriveTopic({ ...settings, transport: transport!, admin, topic: stage.deadLetter, groupId: `${plan.topology.name}.${stage.stage}.redrive`, logger });
          } finally {
            await admin.close();
          }
        }
      } finally {
        await transport?.close();
      }
      // A dry run has told of each dead letter already.
      if (!report.dryRun) printNotes(report);
      process.stdout.write(opts.json || !process.stdout.isTTY ? JSON.stringify({ ...report, total: totals(report) }) + '\n' : table(report));
      process.exitCode = report.failed.length > 0 ? 1 : 0;
    });
};
