/**
 * What a web page elsewhere can make a browser do to sluice's two HTTP
 * servers, in a real headless Chromium (Debian's, driven by playwright-core),
 * with no token set: a page served from another site (attacker.example,
 * resolved to 127.0.0.1 by Chromium's host rules) auto-submits `text/plain`
 * forms and sends `no-cors` fetches to the coordinator's trigger endpoint and
 * to a topology's HTTP source. Neither triggers the node nor injects a record;
 * each is refused with 403. A page on a DNS-rebinding name (rebind.example →
 * 127.0.0.1) gets 403 instead of /status. The same node then runs through
 * `sluice trigger` and the same source takes a proper POST, so the refusals
 * are the policy's and not a broken setup.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Coordinator } from '../../../src/coordinator/index.ts';
import { runCli } from '../../unit/cli/cli-harness.ts';
import { CHROMIUM, launchChromium } from '../harness/chromium.ts';
import { uniqueName, withAdmin } from '../harness/kafka.ts';
import { freePort, ingestTopology, postNdjson } from '../runtime/http-client.ts';
import { startCoordinator, stopCoordinator, until } from './helpers.ts';

let coordinator: Coordinator | undefined;
let context: BrowserContext | undefined;
let attacker: Server | undefined;
const profile = mkdtempSync(join(tmpdir(), 'sluice-chromium-'));

afterAll(async () => {
  await context?.close();
  rmSync(profile, { recursive: true, force: true });
  attacker?.closeAllConnections();
  attacker?.close();
  await stopCoordinator(coordinator);
});

/** The attacker's page: two auto-submitting text/plain forms and two no-cors fetches; `window.results` fills as each is answered. */
function attackPage(trigger: string, ingest: string): string {
  return `<!doctype html><html><body>
<iframe name="t"></iframe><iframe name="i"></iframe>
<form id="ft" method="POST" enctype="text/plain" target="t" action="${trigger}"><input name='{"a":"' value='b"}'></form>
<form id="fi" method="POST" enctype="text/plain" target="i" action="${ingest}"><input name='{"id":"csrf-form","x":"' value='"}'></form>
<script>
window.results = {};
const done = (k) => () => { window.results[k] = true; };
document.querySelector('iframe[name=t]').onload = done('form-trigger');
document.querySelector('iframe[name=i]').onload = done('form-ingest');
document.getElementById('ft').submit();
document.getElementById('fi').submit();
fetch(${JSON.stringify(trigger)}, { method: 'POST', mode: 'no-cors', body: '{}' }).then(done('fetch-trigger'), done('fetch-trigger'));
fetch(${JSON.stringify(ingest)}, { method: 'POST', mode: 'no-cors', body: '{"id":"csrf-fetch"}\\n' }).then(done('fetch-ingest'), done('fetch-ingest'));
</script></body></html>`;
}

async function endOffset(topic: string): Promise<string> {
  const [partition] = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
  return partition!.high;
}

describe('cross-site requests from a browser', () => {
  it('neither trigger a node nor inject a record, and a rebinding name gets 403; the same requests made properly work', async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`).toBe(true);
    const ingestPort = await freePort();
    const file = ingestTopology('csrf', ingestPort, {
      topics: '  asked: { partitions: 1 }\n  answered: { partitions: 1 }\n',
      nodes: '  manual: { from: asked, to: answered, trigger: { cron: "0 0 1 1 *" } }\n',
    });
    const namespace = `${uniqueName('csrf')}.`;
    coordinator = await startCoordinator(file, namespace);
    const c = coordinator;
    await until('the http source listens', async () => ((await postNdjson(ingestPort, '/events', '')).status === 200 ? true : undefined), 60_000, 200);
    const triggers = vi.spyOn(c, 'trigger');

    const triggerUrl = `http://127.0.0.1:${c.http!.port}/nodes/manual/trigger`;
    const ingestUrl = `http://127.0.0.1:${ingestPort}/events`;
    attacker = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(attackPage(triggerUrl, ingestUrl)));
    await new Promise<void>((r) => attacker!.listen(0, '127.0.0.1', r));
    const attackerPort = (attacker.address() as AddressInfo).port;

    context = await launchChromium(profile, { args: ['--host-resolver-rules=MAP attacker.example 127.0.0.1, MAP rebind.example 127.0.0.1'] });
    const page = context.pages()[0] ?? (await context.newPage());
    const statuses: Array<[string, number]> = [];
    page.on('response', (r) => {
      if (r.request().method() === 'POST') statuses.push([r.url(), r.status()]);
    });
    await page.goto(`http://attacker.example:${attackerPort}/`);
    await page.waitForFunction('Object.keys(window.results).length === 4', undefined, { timeout: 30_000 });

    // Each request reached its server and was refused there (Chromium sends the page's Origin with every one).
    expect(statuses.map(([url, status]) => `${status} ${url}`).sort()).toEqual([`403 ${ingestUrl}`, `403 ${ingestUrl}`, `403 ${triggerUrl}`, `403 ${triggerUrl}`].sort());
    expect(triggers).not.toHaveBeenCalled();
    // A record the source takes is in the topic before it answers, so the end offset is final.
    expect(await endOffset(`${namespace}events`)).toBe('0');

    const rebound = await page.goto(`http://rebind.example:${c.http!.port}/status`);
    expect(rebound!.status()).toBe(403);
    expect(await rebound!.text()).toContain('SLUICE_ERR_HTTP_HOST');
    expect(await rebound!.text()).not.toContain('manual');
    const reboundIngest = await page.goto(`http://rebind.example:${ingestPort}/events`);
    expect(reboundIngest!.status()).toBe(403);

    const triggered = await runCli('trigger', file, 'manual', '--port', String(c.http!.port));
    expect(triggered, triggered.stderr).toMatchObject({ code: 0, stdout: 'triggered manual of csrf: manual\n' });
    expect(triggers).toHaveBeenCalledTimes(1);
    expect((await postNdjson(ingestPort, '/events', '{"id":"proper"}\n')).status).toBe(200);
    expect(await endOffset(`${namespace}events`)).toBe('1');
  });
});
