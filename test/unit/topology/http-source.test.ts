/**
 * An HTTP source's request policy and limits in a topology file: a host off
 * loopback without a token is refused where it is written (file:line:col)
 * unless `insecure-no-token` says so; the token comes through `${VAR}`; bad
 * hosts, origins and limits are named; nothing of the token shows in the
 * drawn graph.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/core/index.ts';
import { loadTopology, renderGraph } from '../../../src/topology/index.ts';
import { summary, Workspace } from './helpers.ts';

let ws: Workspace;
beforeAll(async () => {
  ws = await Workspace.create();
});
afterAll(async () => {
  await ws.remove();
});

const source = (http: string): string => `name: ingest
nodes:
  receive:
    source:
      http: { port: 8080, path: /in${http} }
    to: events
`;

describe('http source settings', () => {
  it('refuses a host off loopback without a token, at the host, saying how to fix it', async () => {
    const r = await ws.validate(source(', host: 0.0.0.0'));
    expect(summary(r.problems)).toEqual([
      `${ErrorCodes.INSECURE_REFUSED} 5:44 node \`receive\`: its HTTP source would listen on 0.0.0.0, which is not a loopback address, needs a token: anyone who reaches it could inject records ` +
        '(add `token: ${INGEST_TOKEN}` (clients send `Authorization: Bearer <token>`), or `insecure-no-token: true` to serve it open)',
    ]);
  });

  it('takes a host off loopback with a token from the environment, or with insecure-no-token', async () => {
    const guarded = await loadTopology(await ws.write('guarded.yaml', source(', host: 0.0.0.0, token: "${INGEST_TOKEN}"')), { env: { INGEST_TOKEN: 'abc' } });
    expect(guarded.nodes[0]!.input).toMatchObject({ kind: 'http', host: '0.0.0.0', token: 'abc' });
    const open = await ws.validate(source(', host: 10.1.2.3, insecure-no-token: true'));
    expect(open.problems).toEqual([]);
    expect((await ws.validate(source(', host: 127.0.0.2'))).problems).toEqual([]);
  });

  it('reads hosts, origins, limits and the request timeout into the model', async () => {
    const t = await loadTopology(
      await ws.write(
        'full.yaml',
        source(', allow-hosts: [ingest.example, "ingest.example:8443"], allow-origins: ["https://app.example"], max-body-bytes: 1000, max-in-flight-bytes: 5000, request-timeout: 5s'),
      ),
      { env: {} },
    );
    expect(t.nodes[0]!.input).toEqual({
      kind: 'http',
      port: 8080,
      path: '/in',
      allowHosts: ['ingest.example', 'ingest.example:8443'],
      allowOrigins: ['https://app.example'],
      maxBodyBytes: 1000,
      maxInFlightBytes: 5000,
      requestTimeoutMs: 5000,
    });
  });

  it('names a bad host, origin or limit', async () => {
    const r = await ws.validate(source(', allow-hosts: ["http://x"], allow-origins: [app.example], max-body-bytes: 5000, max-in-flight-bytes: 1000'));
    expect(summary(r.problems)).toEqual([
      expect.stringMatching(/^SLUICE_ERR_TOPOLOGY_INVALID 5:\d+ .*a host is `name`, `name:port` or `\[v6\]:port`/),
      expect.stringMatching(/^SLUICE_ERR_TOPOLOGY_INVALID 5:\d+ .*an origin is `http:\/\/host\[:port\]` or `https:\/\/host\[:port\]`/),
    ]);
    const limits = await ws.validate(source(', max-body-bytes: 5000, max-in-flight-bytes: 1000'));
    expect(summary(limits.problems)).toEqual([
      expect.stringContaining('`max-in-flight-bytes` (1000) is less than `max-body-bytes` (5000): a body of the largest size could never be taken'),
    ]);
  });

  it('keeps the token out of the drawn graph', async () => {
    const t = await loadTopology(await ws.write('secret.yaml', source(', token: "${INGEST_TOKEN}"')), { env: { INGEST_TOKEN: 'very-secret-token' } });
    for (const format of ['mermaid', 'dot', 'svg'] as const) expect(await renderGraph(t, format)).not.toContain('very-secret-token');
  });
});
