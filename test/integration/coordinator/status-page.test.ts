/**
 * The status page in a real headless Chromium (Debian's, driven by
 * playwright-core): the topology graph renders with its stage names, and the
 * lag figure on a stage changes once records are produced. Only stage `a`
 * runs, so records it writes wait for `b`, whose lag the page must show.
 * A screenshot is kept under test-results/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import type { Coordinator } from '../../../src/coordinator/index.ts';
import { CHROMIUM, launchChromium } from '../harness/chromium.ts';
import { uniqueName } from '../harness/kafka.ts';
import { writeTopology } from '../runtime/examples.ts';
import { chainTopology, produce, startCoordinator, stopCoordinator } from './helpers.ts';

const results = fileURLToPath(new URL('../../../test-results/', import.meta.url));

let coordinator: Coordinator | undefined;
let context: BrowserContext | undefined;
const profile = mkdtempSync(join(tmpdir(), 'sluice-chromium-'));

afterAll(async () => {
  await context?.close();
  rmSync(profile, { recursive: true, force: true });
  await stopCoordinator(coordinator);
});

describe('status page', () => {
  it('renders the topology graph with stage names in Chromium, and its lag figures follow the records produced', async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`).toBe(true);
    const file = writeTopology({ 'topology.yaml': chainTopology(1) });
    const namespace = `${uniqueName('page')}.`;
    coordinator = await startCoordinator(file, namespace, { nodes: ['a'] });

    context = await launchChromium(profile, { viewport: { width: 1100, height: 520 } });
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${coordinator.http!.url}/`);

    for (const stage of ['a', 'b', 'c']) {
      await expect.poll(() => page.locator(`svg #node-${stage} > text`).first().textContent()).toBe(stage);
    }
    const lagOfB = () => page.locator('#node-b > text.live > tspan').nth(1).textContent({ timeout: 10_000 });
    await expect.poll(lagOfB, { timeout: 30_000 }).toBe('lag 0');
    expect(await page.locator('#stages tr').count()).toBe(3);

    await produce(`${namespace}in`, 0, 50);
    // a runs and writes mid1; b is not running here, so its group lags by all 50.
    await expect.poll(lagOfB, { timeout: 30_000 }).toBe('lag 50');
    await expect.poll(() => page.locator('#edge-topic-mid1--node-b > text.live').textContent(), { timeout: 10_000 }).toBe('lag 50');
    await expect.poll(() => page.locator('#node-a > text.live').textContent(), { timeout: 10_000 }).toBe('runninglag 0');
    await expect.poll(() => page.locator('#topic-mid1 > text.live > tspan').first().textContent(), { timeout: 10_000 }).toBe('50 rec');
    expect(await page.locator('#health').textContent()).toBe('healthy');

    mkdirSync(results, { recursive: true });
    await page.screenshot({ path: join(results, 'status-page.png'), fullPage: true });
  });
});
