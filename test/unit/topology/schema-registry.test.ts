import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatProblem, loadTopology } from '../../../src/topology/index.ts';
import { TopologyResources } from '../../../src/runtime/index.ts';
import { userSchema, Workspace } from './helpers.ts';

let ws: Workspace;
beforeAll(async () => {
  ws = await Workspace.create();
  await ws.write('schemas/user.avsc', userSchema);
  await ws.write('ids/7-user.avsc', userSchema);
  await ws.write('in.ndjson', '');
});
afterAll(() => ws.remove());

const topology = (registry: string) => `name: reg
schema-registry: ${registry}
schemas: { User: ./schemas/user.avsc }
topics:
  users: { schema: User, codec: avro-confluent }
nodes:
  feed:
    source: { file: ./in.ndjson }
    to: users
`;

describe('schema-registry in a topology', () => {
  it('takes url, subject, auto-register and auth with ${VAR}', async () => {
    const file = await ws.write('url.yaml', topology('{ url: "${SR_URL}", subject: topic-record, auto-register: false, auth: { token: "${SR_TOKEN}" } }'));
    const t = await loadTopology(file, { env: { SR_URL: 'http://registry:8081', SR_TOKEN: 'secret' } });
    expect(t.schemaRegistry).toEqual({ url: 'http://registry:8081', subject: 'topic-record', autoRegister: false, auth: { token: 'secret' } });
  });

  it('places a bad entry at its file:line', async () => {
    const both = await ws.validate(topology('{ url: "http://r:8081", dir: ./ids }'));
    expect(both.problems.map((p) => formatProblem(p))).toEqual([expect.stringMatching(/:2:\d+: error .*one of `url` .* or `dir`/)]);
    const subject = await ws.validate(topology('{ url: "http://r:8081", subject: topics }'));
    expect(subject.problems.map((p) => formatProblem(p))).toEqual([expect.stringMatching(/:2:\d+: error .*subject/)]);
    const scheme = await ws.validate(topology('{ url: "ftp://r" }'));
    expect(scheme.problems.map((p) => formatProblem(p))).toEqual([expect.stringMatching(/:2:\d+: error .*http:\/\/ or https:\/\//)]);
  });

  it('a local directory gives avro-confluent its ids, from a topology too', async () => {
    const file = await ws.write('dir.yaml', topology('{ dir: ./ids }'));
    const t = await loadTopology(file, { env: {} });
    expect(t.schemaRegistry?.dir).toBe(path.join(ws.dir, 'ids'));
    const chain = (await TopologyResources.load(t)).topicChain('users');
    const bytes = chain.encode({ id: 'u1', age: 3, city: 'Oslo' });
    expect(bytes.subarray(0, 5)).toEqual(Buffer.from([0, 0, 0, 0, 7]));
    expect(chain.decode(bytes)).toEqual({ id: 'u1', age: 3, city: 'Oslo' });
  });
});
