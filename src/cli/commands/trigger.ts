/**
 * `sluice trigger FILE NODE`: asks the coordinator of a running `sluice run`
 * (its HTTP port) to run a node now; a cron node runs until caught up. The
 * file is read to name the node's topology and catch a mistyped node early.
 * The request is JSON, with the coordinator's token ($SLUICE_TOKEN or
 * --token-file) when one is set.
 */
import type { Command } from 'commander';
import { DEFAULT_PORT, type TriggerResult } from '../../coordinator/index.ts';
import { ErrorCodes, SluiceError, type ErrorCode } from '../../core/index.ts';
import { loadTopology } from '../../topology/index.ts';
import { wholeNumber } from '../numbers.ts';
import { tokenOf, type TokenFlags } from './http-token.ts';
import { warnOnStderr } from './kafka-security.ts';
import type { RegisterCommand } from './index.ts';

interface TriggerCliOptions extends TokenFlags {
  port: string;
  host: string;
}

/** What the coordinator's request policy answers a request it refuses. */
interface Refusal {
  error: string;
  code?: string;
}

const knownCodes = new Set<string>(Object.values(ErrorCodes));

function refusal(status: number, body: Refusal, sentToken: boolean): SluiceError {
  const code = body.code !== undefined && knownCodes.has(body.code) ? (body.code as ErrorCode) : ErrorCodes.TRIGGER_REFUSED;
  const hint = code === ErrorCodes.HTTP_UNAUTHORIZED && !sentToken ? ' (set SLUICE_TOKEN or give --token-file)' : '';
  return new SluiceError(code, `coordinator refused (${status}): ${body.error}${hint}`);
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
      const token = tokenOf(opts, process.env, warnOnStderr);
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) },
          body: '{}',
        });
      } catch (err) {
        throw new SluiceError(ErrorCodes.COORDINATOR_UNREACHABLE, `no coordinator answers on ${host}:${opts.port} (is \`sluice run\` running with --port ${opts.port}?)`, { cause: err });
      }
      const result = (await response.json()) as TriggerResult | Refusal;
      if ('error' in result) throw refusal(response.status, result, token !== undefined);
      if (!result.accepted) throw new SluiceError(ErrorCodes.TRIGGER_REFUSED, `coordinator refused: ${result.reason}`);
      process.stdout.write(`triggered ${node} of ${topology.name}: ${result.stages.join(', ')}\n`);
    });
};
