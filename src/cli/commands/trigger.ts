/**
 * `sluice trigger FILE NODE`: asks the coordinator of a running `sluice run`
 * (its HTTP port) to run a node now; a cron node runs until caught up. The
 * file is read to name the node's topology and catch a mistyped node early.
 * The request is JSON, with the coordinator's token ($SLUICE_TOKEN or
 * --token-file) when one is set.
 */
import type { Command } from 'commander';
import { DEFAULT_PORT, type TriggerResult } from '../../coordinator/index.ts';
import { ErrorCodes, SluiceError } from '../../core/index.ts';
import { loadTopology } from '../../topology/index.ts';
import { wholeNumber } from '../numbers.ts';
import { refusal, requestCoordinator, requireNode, type Refusal } from './coordinator-http.ts';
import { tokenOf, type TokenFlags } from './http-token.ts';
import { warnOnStderr } from './kafka-security.ts';
import type { RegisterCommand } from './index.ts';

interface TriggerCliOptions extends TokenFlags {
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
      requireNode(topology, node);
      const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
      const url = `http://${host}:${wholeNumber('--port', opts.port, 1, 65_535)}/nodes/${encodeURIComponent(node)}/trigger`;
      const token = tokenOf(opts, process.env, warnOnStderr);
      const response = await requestCoordinator(
        url,
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' },
        token,
        `${host}:${opts.port} (is \`sluice run\` running with --port ${opts.port}?)`,
      );
      const result = (await response.json()) as TriggerResult | Refusal;
      if ('error' in result) throw refusal(response.status, result, token !== undefined, ErrorCodes.TRIGGER_REFUSED);
      if (!result.accepted) throw new SluiceError(ErrorCodes.TRIGGER_REFUSED, `coordinator refused: ${result.reason}`);
      process.stdout.write(`triggered ${node} of ${topology.name}: ${result.stages.join(', ')}\n`);
    });
};
