/**
 * Interactive queries through the coordinator's HTTP server, on the embedded
 * transport: the word-count example with its `read` node fed from stdin
 * instead of its file, so the run (and the count stage's store) stays up
 * while the test asks. Every count is checked against an independent count
 * of the example's text.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planTopology, storeStage, type Coordinator } from '../../../src/coordinator/index.ts';
import { ErrorCodes } from '../../../src/core/index.ts';
import { loadTopology } from '../../../src/topology/index.ts';
import { partitionForKey } from '../../../src/transport/index.ts';
import { startWordCountOnStdin, wordCountText } from './fixtures.ts';

const TOKEN = 'queries-test-token';
const { counts: expected } = await wordCountText();

let coordinator: Coordinator;
let end: () => Promise<void>;
let base: string;

async function get(path: string, token: string | null = TOKEN): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(base + path, token !== null ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  ({ coordinator, end } = await startWordCountOnStdin({ port: 0, token: TOKEN }));
  base = coordinator.http!.url;
});

afterAll(async () => {
  await end?.();
});

describe('GET /stores/<node>/<store>/<key>', () => {
  it("answers every word's count, equal to an independent count of the text", async () => {
    expect(expected.size).toBeGreaterThan(10);
    for (const [word, count] of expected) {
      const { status, body } = await get(`/stores/count/aggregate/${encodeURIComponent(word)}`);
      expect(status, word).toBe(200);
      expect(body).toMatchObject({ node: 'count', store: 'aggregate', key: word });
      // text.words has 3 partitions, keyed by the word.
      expect(body.partition, word).toBe(partitionForKey(word, 3));
      expect((body.results as Array<{ key: string; value: number }>).map((r) => [r.key, r.value])).toEqual([[word, count]]);
    }
  });

  it('answers 404 with a coded error for an unknown node, a store the node does not keep, and a key with no aggregates', async () => {
    const node = await get('/stores/nope/aggregate/fox');
    expect(node.status).toBe(404);
    expect(node.body).toMatchObject({ code: ErrorCodes.STORE_UNKNOWN, error: expect.stringContaining('no node `nope`') });
    const store = await get('/stores/count/other/fox');
    expect(store).toMatchObject({ status: 404, body: { code: ErrorCodes.STORE_UNKNOWN, error: expect.stringContaining('its stores: aggregate') } });
    const stateless = await get('/stores/split/aggregate/fox');
    expect(stateless).toMatchObject({ status: 404, body: { code: ErrorCodes.STORE_UNKNOWN } });
    const key = await get(`/stores/count/aggregate/${encodeURIComponent('zebra crossing')}`);
    expect(key).toMatchObject({ status: 404, body: { code: ErrorCodes.KEY_NOT_FOUND, key: 'zebra crossing' } });
  });

  it('asks for the token like every route but the probes', async () => {
    const none = await get('/stores/count/aggregate/fox', null);
    expect(none).toMatchObject({ status: 401, body: { code: ErrorCodes.HTTP_UNAUTHORIZED } });
    const wrong = await get('/stores/count/aggregate/fox', 'not-the-token');
    expect(wrong.status).toBe(401);
    expect(wrong.body.results).toBeUndefined();
  });

  it('shows every restore of the count stage as done in /status (the in-memory stores start empty)', async () => {
    const { status, body } = await get('/status');
    expect(status).toBe(200);
    const count = (body.stages as Array<{ stage: string; local: { restores: Array<{ store: string; partition: number; remaining: number }> } }>).find((s) => s.stage === 'count')!;
    expect(count.local.restores.map((r) => [r.store, r.partition, r.remaining])).toEqual([
      ['aggregate', 0, 0],
      ['aggregate', 1, 0],
      ['aggregate', 2, 0],
    ]);
  });
});

describe('storeStage', () => {
  it('finds a split window by the node id as written and as run, and refuses the half that keeps no store', async () => {
    const examples = fileURLToPath(new URL('../../../topologies/', import.meta.url));
    const plan = planTopology(await loadTopology(join(examples, 'clickstream/topology.yaml')));
    expect(storeStage(plan, 'views-per-page', 'aggregate').stage.stage).toBe('views-per-page.window');
    expect(storeStage(plan, 'views-per-page.window', 'aggregate').stage.stage).toBe('views-per-page.window');
    expect(() => storeStage(plan, 'validate', 'aggregate')).toThrow(/node `validate` keeps no store `aggregate`/);
  });
});
