/**
 * `sluice trigger FILE NODE`: asks the coordinator of a running `sluice run`
 * (its HTTP port) to run a node now; a cron node runs until caught up. The
 * file is read to name the node's topology and catch a mistyped node early.
 */
import type { Command } from 'commander';
import { DEFAULT_PORT, type TriggerResult } from '../../coordinator/index.ts';
import { ErrorCodes, SluiceError } from '../../core/index.ts';
import { loadTopology } from '../../topology/index.ts';
import { wholeNumber } from '../numbers.ts';
import type { RegisterCommand } from './index.ts';

interface TriggerCliOptions {
  port: string;
  host: string;
}

export const registerTrigger: RegisterCommand = (program: Command) => {
  program
    .command('trigger')
    .description('run a node now through a running coordinator (POST /nodes/<id>/trigger)')
    .argument('<file>', 'topology file (.yaml, .yml or .json)')
    .argument('<node>', 'node id')
    .option('--port <n>', 'the coordinator\'s HTTP port', String(DEFAULT_PORT))
    .option('--host <addr>', 'the coordinator\'s HTTP address', '127.0.0.1')
    .action(async (file: string, node: string, opts: TriggerCliOptions) => {
      const topology = await loadTopology(file);
      if (!topology.nodes.some((n) => n.id === node)) {
        throw new SluiceError(ErrorCodes.CLI_USAGE, `no node \`${node}\` in ${topology.file}; nodes: ${topology.nodes.map((n) => n.id).join(', ')}`);
      }
      const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
      const url = `http://${host}:${wholeNumber('--port', opts.port, 1, 65_535)}/nodes/${encodeURIComponent(node)}/trigger`;
      let response: Response;
      try {
        response = await fetch(url, { method: 'POST' });
      } catch (err) {
        throw new SluiceError(ErrorCodes.COORDINATOR_UNREACHABLE, `no coordinator answers on ${host}:${opts.port} (is \`sluice run\` running with --port ${opts.port}?)`, { cause: err });
      }
      const result = (await response.json()) as TriggerResult;
      if (!result.accepted) throw new SluiceError(ErrorCodes.TRIGGER_REFUSED, `coordinator refused: ${result.reason}`);
      process.stdout.write(`triggered ${node} of ${topology.name}: ${result.stages.join(', ')}\n`);
    });
};
