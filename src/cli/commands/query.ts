/**
 * `sluice query FILE NODE KEY`: what a node's store holds for a key (a
 * window's aggregates, or with `--store <table topic>` a table's latest
 * value), asked of a running coordinator (GET /stores/<node>/<store>/<key>). The
 * coordinator answers from the instance that owns the key's partition; when
 * another member of the group owns it, the answer names that member, and so
 * does this command (on stderr, exit 1). The JSON answer goes to stdout in
 * every case, so scripts can read the owner too.
 */
import type { Command } from 'commander';
import { DEFAULT_PORT } from '../../coordinator/index.ts';
import { ErrorCodes, SluiceError } from '../../core/index.ts';
import { AGGREGATE_STORE, loadTopology } from '../../topology/index.ts';
import { coordinatorUrl, refusal, requestCoordinator, requireNode, type Refusal } from './coordinator-http.ts';
import { tokenOf, type TokenFlags } from './http-token.ts';
import { warnOnStderr } from './kafka-security.ts';
import type { RegisterCommand } from './index.ts';

interface QueryCliOptions extends TokenFlags {
  url: string;
  store: string;
}

export const registerQuery: RegisterCommand = (program: Command) => {
  program
    .command('query')
    .description("what a node's store holds for a key (a window's aggregates, a table's value), from a running coordinator (GET /stores/<node>/<store>/<key>)")
    .argument('<file>', 'topology file (.yaml, .yml or .json)')
    .argument('<node>', 'node id (a window node, or a node joining a table)')
    .argument('<key>', 'the key, as the window groups by it or as the table is keyed')
    .option('--url <url>', "the coordinator's HTTP address", `http://127.0.0.1:${DEFAULT_PORT}`)
    .option('--store <name>', 'the store of the node: `aggregate` (a window) or a table topic as written', AGGREGATE_STORE)
    .action(async (file: string, node: string, key: string, opts: QueryCliOptions) => {
      const topology = await loadTopology(file);
      requireNode(topology, node);
      const base = coordinatorUrl(opts.url);
      const url = new URL(`stores/${[node, opts.store, key].map(encodeURIComponent).join('/')}`, base);
      const token = tokenOf(opts, process.env, warnOnStderr);
      const response = await requestCoordinator(url, { headers: { accept: 'application/json' } }, token, `${base.origin} (is \`sluice run\` serving HTTP there?)`);
      const body = (await response.json()) as Record<string, unknown>;
      process.stdout.write(JSON.stringify(body, null, 2) + '\n');
      if (response.status !== 200) throw refusal(response.status, body as unknown as Refusal, token !== undefined, ErrorCodes.STORE_UNAVAILABLE);
    });
};
