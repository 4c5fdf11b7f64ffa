/**
 * `sluice topics FILE --create|--check|--delete`: the topology's topics on a
 * Kafka cluster by hand, as `sluice run` handles them before starting stages.
 * `--check` exits 1 when a topic is missing or differs from the file.
 */
import type { Command } from 'commander';
import { checkTopics, deleteTopics, describeDifferences, ensureTopics, planTopology } from '../../coordinator/index.ts';
import { ErrorCodes, SluiceError, createLogger } from '../../core/index.ts';
import { loadTopology } from '../../topology/index.ts';
import { createClusterAdmin, createTransport } from '../../transport/index.ts';
import { namespaceOption, RUN_NAMESPACE_HELP } from '../namespace.ts';
import { requireBrokers } from './cluster.ts';
import { connectionOf, warnOnStderr, type KafkaSecurityFlags } from './kafka-security.ts';
import type { RegisterCommand } from './index.ts';

interface TopicsCliOptions extends KafkaSecurityFlags {
  brokers?: string;
  namespace?: string;
  create?: boolean;
  check?: boolean;
  delete?: boolean;
}

export const registerTopics: RegisterCommand = (program: Command) => {
  program
    .command('topics')
    .description("create, check or delete a topology's topics on a Kafka cluster")
    .argument('<file>', 'topology file (.yaml, .yml or .json)')
    .option('--create', 'create missing topics (partitions, replication, cleanup.policy, retention); fail if existing ones differ')
    .option('--check', 'compare existing topics with the file; exit 1 on a difference or a missing topic')
    .option('--delete', 'delete every topic the topology uses, dead-letter and repartition topics included')
    .option('--brokers <list>', 'Kafka bootstrap brokers, comma-separated (default: $KAFKA_BROKERS, else the file\'s kafka.brokers)')
    .option('--namespace <name>', RUN_NAMESPACE_HELP)
    .action(async (file: string, opts: TopicsCliOptions) => {
      const actions = [opts.create, opts.check, opts.delete].filter(Boolean).length;
      if (actions !== 1) throw new SluiceError(ErrorCodes.CLI_USAGE, 'give exactly one of --create, --check, --delete');
      const topology = await loadTopology(file);
      const brokers = requireBrokers(opts.brokers, topology, 'topics');
      const plan = planTopology(topology, namespaceOption(opts.namespace));
      const logger = createLogger();
      const clientId = `sluice-topics-${topology.name}`;
      const connection = connectionOf(opts, topology, process.env, warnOnStderr);
      if (opts.delete) {
        const admin = createClusterAdmin({ brokers, clientId, logger, ...connection });
        try {
          const deleted = await deleteTopics(admin, plan);
          process.stdout.write(deleted.map((t) => `deleted ${t}\n`).join(''));
        } finally {
          await admin.close();
        }
        return;
      }
      const transport = createTransport({ brokers, clientId, logger, ...connection });
      try {
        if (opts.create) {
          const created = new Set(await ensureTopics(transport, plan.topology));
          for (const name of Object.keys(plan.topology.topics)) process.stdout.write(`${created.has(name) ? 'created' : 'exists '} ${name}\n`);
          return;
        }
        const differences = await checkTopics(transport, plan.topology);
        if (differences.length === 0) {
          process.stdout.write(`all ${Object.values(plan.topology.topics).filter((t) => t.declared).length} declared topics match ${topology.file}\n`);
          return;
        }
        process.stdout.write(differences.map((d) => describeDifferences([d]) + '\n').join(''));
        process.exitCode = 1;
      } finally {
        await transport.close();
      }
    });
};
