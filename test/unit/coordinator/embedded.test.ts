/**
 * The coordinator on the embedded transport, in this process: its HTTP face
 * (health, readiness, status, metrics, page, trigger) over a real run of the
 * word-count example.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Coordinator } from '../../../src/coordinator/index.ts';
import type { RunReport } from '../../../src/runtime/index.ts';
import { startWordCount } from './fixtures.ts';
import { parsePrometheus, sampleValue } from './prometheus.ts';

let coordinator: Coordinator;
let report: RunReport;
let base: string;

beforeAll(async () => {
  coordinator = await startWordCount({ port: 0 });
  base = coordinator.http!.url;
  report = await coordinator.done;
});

afterAll(async () => {
  await coordinator?.close();
});

async function get(path: string, init?: RequestInit): Promise<{ status: number; type: string | null; body: string }> {
  const res = await fetch(base + path, init);
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

describe('coordinator on the embedded transport', () => {
  it('serves /metrics in the Prometheus text format, with record counters equal to what every stage processed', async () => {
    const { status, type, body } = await get('/metrics');
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = parsePrometheus(body);
    expect(families.find((f) => f.name === 'sluice_records_in_total')?.type).toBe('COUNTER');
    expect(families.find((f) => f.name === 'process_cpu_seconds_total')).toBeDefined();
    expect(report.stages.map((s) => s.node)).toEqual(['read', 'split', 'count', 'print']);
    for (const stage of report.stages) {
      const labels = { stage: stage.node };
      expect(sampleValue(families, 'sluice_records_in_total', labels), stage.node).toBe(stage.read);
      expect(sampleValue(families, 'sluice_records_out_total', labels), stage.node).toBe(stage.written);
      expect(sampleValue(families, 'sluice_dead_letters_total', labels)).toBe(0);
    }
    // The example's text has 5 lines of 36 words, 17 of them distinct.
    expect(report.stages.map((s) => [s.read, s.written])).toEqual([[5, 5], [5, 36], [36, 17], [17, 17]]);
    expect(sampleValue(families, 'sluice_stage_lag', { stage: 'count' })).toBe(0);
    expect(sampleValue(families, 'sluice_consumer_lag', { stage: 'count', partition: '2' })).toBe(0);
  });

  it('serves /status with every stage finished and caught up, and the SVG annotations', async () => {
    const { status, body } = await get('/status');
    expect(status).toBe(200);
    const doc = JSON.parse(body) as { stages: Array<{ stage: string; lag: number | null; local: { state: string; read: number } }>; health: { ok: boolean }; annotations: Array<{ id: string; lines: string[] }> };
    expect(doc.health.ok).toBe(true);
    expect(doc.stages.map((s) => [s.stage, s.local.state, s.lag])).toEqual([
      ['read', 'finished', null],
      ['split', 'finished', 0],
      ['count', 'finished', 0],
      ['print', 'finished', 0],
    ]);
    expect(doc.annotations.find((a) => a.id === 'node-split')?.lines).toEqual(['finished', 'lag 0']);
    expect(doc.annotations.find((a) => a.id === 'topic-text.words')?.lines[0]).toBe('36 rec');
  });

  it('answers /health and /ready, refuses triggers it cannot honour, and names what it serves', async () => {
    expect((await get('/health')).status).toBe(200);
    expect((await get('/ready')).status).toBe(200);
    const refused = await get('/nodes/split/trigger', { method: 'POST', headers: { 'content-type': 'application/json' } });
    expect(refused.status).toBe(409);
    expect(JSON.parse(refused.body)).toMatchObject({ accepted: false, reason: expect.stringContaining('need Kafka') });
    expect((await get('/nodes/split/trigger')).status).toBe(405);
    const missing = await get('/nope');
    expect(missing.status).toBe(404);
    expect(missing.body).toContain('/metrics');
  });

  it('serves the status page: the topology SVG with its element ids, and a script that polls /status', async () => {
    const { status, type, body } = await get('/');
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/html/);
    expect(body).not.toContain('<?xml');
    for (const id of ['node-split', 'node-count', 'topic-text.words', 'edge-topic-text.lines--node-split']) expect(body).toContain(`id="${id}"`);
    expect(body).toContain("fetch('status'");
  });
});
