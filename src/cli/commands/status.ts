/**
 * `sluice status FILE`: each stage's consumer group as the cluster sees it
 * (state, members and their partitions, lag, rates, dead letters), read
 * straight from the Kafka admin API. It needs no running coordinator and
 * runs from any machine that reaches the brokers. Rates need two samples, so
 * a one-shot status takes two, `--interval` apart. With `--url` it reads a
 * running coordinator's /status instead, which adds what only the
 * coordinator knows: its instances, crashes and state stores' restores.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { planTopology, sampleCluster, statusOf, statusTable, type StatusSnapshot } from '../../coordinator/index.ts';
import { ErrorCodes, createLogger } from '../../core/index.ts';
import { loadTopology } from '../../topology/index.ts';
import { createClusterAdmin } from '../../transport/index.ts';
import { milliseconds } from '../numbers.ts';
import { namespaceOption, RUN_NAMESPACE_HELP } from '../namespace.ts';
import { requireBrokers } from './cluster.ts';
import { coordinatorUrl, refusal, requestCoordinator, type Refusal } from './coordinator-http.ts';
import { tokenOf, type TokenFlags } from './http-token.ts';
import { connectionOf, warnOnStderr, type KafkaSecurityFlags } from './kafka-security.ts';
import type { RegisterCommand } from './index.ts';

interface StatusCliOptions extends KafkaSecurityFlags, TokenFlags {
  url?: string;
  brokers?: string;
  namespace?: string;
  watch?: boolean;
  json?: boolean;
  interval: string;
}

/** Clears a terminal and homes the cursor, so `--watch` redraws in place. */
const CLEAR = '\u001b[H\u001b[2J';

function printer(opts: StatusCliOptions): (snapshot: StatusSnapshot) => void {
  return (snapshot) => {
    if (opts.json) process.stdout.write(JSON.stringify(snapshot) + '\n');
    else process.stdout.write((opts.watch && process.stdout.isTTY ? CLEAR : '') + statusTable(snapshot) + (opts.watch ? '\n' : ''));
  };
}

/** The coordinator's own status document (its rates come from its own samples), once or every --interval. */
async function coordinatorStatus(base: URL, opts: StatusCliOptions, intervalMs: number): Promise<void> {
  const token = tokenOf(opts, process.env, warnOnStderr);
  const print = printer(opts);
  for (;;) {
    const response = await requestCoordinator(new URL('status', base), { headers: { accept: 'application/json' } }, token, `${base.origin} (is \`sluice run\` serving HTTP there?)`);
    const body = (await response.json()) as StatusSnapshot | Refusal;
    if (response.status !== 200 || 'error' in body) throw refusal(response.status, body as Refusal, token !== undefined, ErrorCodes.COORDINATOR_UNREACHABLE);
    print(body);
    if (!opts.watch) return;
    await sleep(intervalMs);
  }
}

export const registerStatus: RegisterCommand = (program: Command) => {
  program
    .command('status')
    .description("each stage's consumer group: state, members, partitions, lag, rates, dead letters (from any machine that reaches the brokers)")
    .argument('<file>', 'topology file (.yaml, .yml or .json)')
    .option('--brokers <list>', 'Kafka bootstrap brokers, comma-separated (default: $KAFKA_BROKERS, else the file\'s kafka.brokers)')
    .option('--namespace <name>', RUN_NAMESPACE_HELP)
    .option('--watch', 'refresh every --interval until interrupted')
    .option('--json', 'machine-readable output (one JSON document per refresh)')
    .option('--interval <ms>', 'time between samples (rates are measured over it)', '2000')
    .option('--url <url>', "read a running coordinator's /status (with its instances and store restores) instead of the cluster")
    .action(async (file: string, opts: StatusCliOptions) => {
      const intervalMs = milliseconds('--interval', opts.interval, 100);
      const topology = await loadTopology(file);
      if (opts.url !== undefined) return coordinatorStatus(coordinatorUrl(opts.url), opts, intervalMs);
      const brokers = requireBrokers(opts.brokers, topology, 'status');
      const plan = planTopology(topology, namespaceOption(opts.namespace));
      const connection = connectionOf(opts, topology, process.env, warnOnStderr);
      const admin = createClusterAdmin({ brokers, clientId: `sluice-status-${topology.name}`, logger: createLogger(), ...connection });
      const print = printer(opts);
      const interrupted = new AbortController();
      const onSignal = () => interrupted.abort();
      process.once('SIGINT', onSignal);
      try {
        let previous = await sampleCluster(admin, plan);
        do {
          await sleep(opts.watch ? intervalMs : Math.min(intervalMs, 1_000), undefined, { signal: interrupted.signal }).catch(() => undefined);
          if (interrupted.signal.aborted) break;
          const sample = await sampleCluster(admin, plan);
          print(statusOf({ plan, sample, previous }, 'kafka'));
          previous = sample;
        } while (opts.watch);
      } finally {
        process.off('SIGINT', onSignal);
        await admin.close();
      }
    });
};
