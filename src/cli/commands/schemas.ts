/**
 * `sluice schemas check FILE [--schema-registry URL] [--namespace NAME]`:
 * each Avro topic's schema against the registry's compatibility rule for its
 * subject, named as a run under that namespace names it. Exit 0
 * when all would be accepted, 1 naming each incompatibility, 2 for a file or
 * usage problem.
 */
import type { Command } from 'commander';
import { planTopology } from '../../coordinator/index.ts';
import { ErrorCodes, SluiceError } from '../../core/index.ts';
import { checkTopicSchemas, registryAuthOf, SchemaRegistryClient } from '../../runtime/index.ts';
import { loadTopology } from '../../topology/index.ts';
import { namespaceOption, RUN_NAMESPACE_HELP } from '../namespace.ts';
import type { RegisterCommand } from './index.ts';

interface SchemasCheckOptions {
  schemaRegistry?: string;
  namespace?: string;
}

export const registerSchemas: RegisterCommand = (program: Command) => {
  const schemas = program.command('schemas').description('Avro schemas and the schema registry');
  schemas
    .command('check')
    .description("check every Avro topic's schema against the schema registry's compatibility rule (exit 1 when one is incompatible)")
    .argument('<file>', 'topology file')
    .option('--schema-registry <url>', "the registry (default: the topology's schema-registry.url)")
    .option('--namespace <name>', RUN_NAMESPACE_HELP)
    .action(async (file: string, opts: SchemasCheckOptions) => {
      const topology = await loadTopology(file);
      const config = topology.schemaRegistry;
      const url = opts.schemaRegistry ?? config?.url;
      if (url === undefined) {
        throw new SluiceError(ErrorCodes.CLI_USAGE, `${file} names no schema-registry url; pass --schema-registry URL`);
      }
      const client = new SchemaRegistryClient({ url, ...(config?.auth === undefined ? {} : { auth: registryAuthOf(config.auth) }) });
      // Subjects follow the topic names the run writes, namespace included.
      const checks = await checkTopicSchemas(planTopology(topology, namespaceOption(opts.namespace)).topology, client);
      for (const c of checks) {
        const verdict = c.compatible ? 'compatible' : `INCOMPATIBLE: ${c.messages.join('; ') || 'the registry gave no reason'}`;
        process.stdout.write(`${c.topic} (subject ${c.subject}, schema ${c.schema}): ${verdict}\n`);
      }
      if (checks.length === 0) process.stdout.write(`${file}: no Avro topic with a schema to check\n`);
      process.exitCode = checks.every((c) => c.compatible) ? 0 : 1;
    });
};
