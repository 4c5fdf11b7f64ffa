/**
 * Who may use the coordinator's HTTP server, on a real run of the word-count
 * example on the embedded transport: with a token set, only the probes answer
 * without it; a foreign Host (DNS rebinding) or Origin (a page elsewhere) and
 * a body a form could send are refused with their codes; `sluice trigger`
 * sends the token from SLUICE_TOKEN or --token-file; `sluice run` refuses to
 * serve off loopback without a token, before anything starts.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Coordinator } from '../../../src/coordinator/index.ts';
import { ErrorCodes } from '../../../src/core/index.ts';
import { runCli } from '../cli/cli-harness.ts';
import { startWordCount, wordCountFile } from './fixtures.ts';

const TOKEN = `tok-${randomUUID()}`;
let coordinator: Coordinator;
let base: string;

beforeAll(async () => {
  coordinator = await startWordCount({ port: 0, token: TOKEN });
  base = coordinator.http!.url;
  await coordinator.done;
});

afterAll(async () => {
  await coordinator?.close();
});

afterEach(() => {
  delete process.env.SLUICE_TOKEN;
});

/** One file source into a topic: a run that ends, and writes nothing to stdout (which runCli holds). */
function tinyTopology(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-tiny-'));
  writeFileSync(join(dir, 'in.ndjson'), '{"a":1}\n{"a":2}\n');
  writeFileSync(join(dir, 'topology.yaml'), 'name: tiny\nnodes:\n  read: { source: { file: ./in.ndjson }, to: copied }\n');
  return join(dir, 'topology.yaml');
}

/** `sluice run` on the embedded transport, whatever KAFKA_BROKERS the test run has. */
async function runEmbedded(...args: string[]): Promise<Awaited<ReturnType<typeof runCli>>> {
  const saved = process.env.KAFKA_BROKERS;
  delete process.env.KAFKA_BROKERS;
  try {
    return await runCli('run', tinyTopology(), ...args);
  } finally {
    if (saved !== undefined) process.env.KAFKA_BROKERS = saved;
  }
}

const bearer = { authorization: `Bearer ${TOKEN}` };

/** node:http's client, which may send any Host. */
function withHost(path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { headers: { host, ...bearer }, setHost: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject).end();
  });
}

describe('the coordinator’s HTTP server with a token', () => {
  it('answers the probes without it and everything else only with it', async () => {
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    for (const path of ['/status', '/metrics', '/']) {
      const bare = await fetch(base + path);
      expect(bare.status, path).toBe(401);
      expect(await bare.json()).toMatchObject({ code: ErrorCodes.HTTP_UNAUTHORIZED });
      expect((await fetch(base + path, { headers: bearer })).status, path).toBe(200);
    }
    const trigger = await fetch(`${base}/nodes/split/trigger`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    expect(trigger.status).toBe(401);
    // A browser sends the token as a Basic password (it prompts on the 401), so the status page works.
    const basic = { authorization: 'Basic ' + Buffer.from(`me:${TOKEN}`).toString('base64') };
    expect((await fetch(`${base}/`, { headers: basic })).status).toBe(200);
    expect((await fetch(`${base}/status`, { headers: basic })).status).toBe(200);
  });

  it('keeps the token out of /status and the page', async () => {
    for (const path of ['/status', '/', '/metrics']) expect(await (await fetch(base + path, { headers: bearer })).text()).not.toContain(TOKEN);
  });

  it('refuses a Host it does not serve (DNS rebinding), token or not', async () => {
    const rebound = await withHost('/status', 'attacker.example');
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body)).toMatchObject({ code: ErrorCodes.HTTP_HOST });
    expect(rebound.body).not.toContain('split');
    expect((await withHost('/health', `attacker.example:${coordinator.http!.port}`)).status).toBe(403);
    expect((await withHost('/status', `localhost:${coordinator.http!.port}`)).status).toBe(200);
  });

  it('refuses a trigger a page elsewhere could send: a text/plain body, or any request from a foreign Origin', async () => {
    const plain = await fetch(`${base}/nodes/split/trigger`, { method: 'POST', headers: { ...bearer, 'content-type': 'text/plain' }, body: 'a=b' });
    expect(plain.status).toBe(415);
    expect(await plain.json()).toMatchObject({ code: ErrorCodes.HTTP_CONTENT_TYPE });
    const foreign = await fetch(`${base}/nodes/split/trigger`, { method: 'POST', headers: { ...bearer, 'content-type': 'application/json', origin: 'http://attacker.example' } });
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toMatchObject({ code: ErrorCodes.HTTP_ORIGIN });
    const preflight = await fetch(`${base}/nodes/split/trigger`, { method: 'OPTIONS', headers: { origin: 'http://attacker.example', 'access-control-request-method': 'POST' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    // The request itself passes with the token and JSON: the embedded transport cannot run a node on demand.
    const json = await fetch(`${base}/nodes/split/trigger`, { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: '{}' });
    expect(json.status).toBe(409);
  });

  it('sluice trigger sends the token from SLUICE_TOKEN or --token-file, and says how to give one when refused', async () => {
    const port = String(coordinator.http!.port);
    const without = await runCli('trigger', wordCountFile, 'split', '--port', port);
    expect(without.code).toBe(1);
    expect(without.stderr).toContain('coordinator refused (401): a token is required');
    expect(without.stderr).toContain('(set SLUICE_TOKEN or give --token-file) [SLUICE_ERR_HTTP_UNAUTHORIZED]');

    process.env.SLUICE_TOKEN = TOKEN;
    const fromEnv = await runCli('trigger', wordCountFile, 'split', '--port', port);
    // Past the token: refused by the coordinator itself, since the embedded transport cannot run a node on demand.
    expect(fromEnv.stderr).toContain('[SLUICE_ERR_TRIGGER_REFUSED]');
    delete process.env.SLUICE_TOKEN;

    const dir = mkdtempSync(join(tmpdir(), 'sluice-token-'));
    writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
    const fromFile = await runCli('trigger', wordCountFile, 'split', '--port', port, '--token-file', join(dir, 'token'));
    expect(fromFile.stderr).toContain('[SLUICE_ERR_TRIGGER_REFUSED]');

    writeFileSync(join(dir, 'wrong'), 'nope\n');
    const wrong = await runCli('trigger', wordCountFile, 'split', '--port', port, '--token-file', join(dir, 'wrong'));
    expect(wrong.stderr).toContain('the token sent is not the right one [SLUICE_ERR_HTTP_UNAUTHORIZED]');

    const argv = await runCli('trigger', wordCountFile, 'split', '--port', port, '--token', TOKEN);
    expect(argv.stderr).toContain('warning: --token leaves the token in the process list');
    expect(argv.stderr).toContain('[SLUICE_ERR_TRIGGER_REFUSED]');
    expect(argv.stderr).not.toContain(TOKEN);
  });
});

describe('sluice run off loopback', () => {
  it('refuses --host 0.0.0.0 without a token before anything starts, and warns when told --insecure-no-token', async () => {
    const refused = await runEmbedded('--host', '0.0.0.0', '--port', '0');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("the coordinator's HTTP server would listen on 0.0.0.0, which is not a loopback address, without a token");
    expect(refused.stderr).toContain('set SLUICE_TOKEN (or --token-file), or pass --insecure-no-token to serve it open [SLUICE_ERR_INSECURE]');
    expect(refused.stderr).not.toContain('sluice: topology tiny');

    const badHost = await runEmbedded('--port', '0', '--allow-host', 'http://x');
    expect(badHost.code).toBe(2);
    expect(badHost.stderr).toContain('`http://x` is not a host name');
  });

  it('serves off loopback with a token, or with --insecure-no-token and a warning', async () => {
    process.env.SLUICE_TOKEN = TOKEN;
    const guarded = await runEmbedded('--host', '0.0.0.0', '--port', '0');
    expect(guarded.code, guarded.stderr).toBe(0);
    expect(guarded.stderr).toMatch(/read +2 +written +2 /);
    expect(guarded.stderr).not.toContain('warning');
    delete process.env.SLUICE_TOKEN;

    const open = await runEmbedded('--host', '0.0.0.0', '--port', '0', '--insecure-no-token');
    expect(open.code, open.stderr).toBe(0);
    expect(open.stderr).toContain('warning: --insecure-no-token: the HTTP server on 0.0.0.0 can start stages');
  });
});
