/** Debian's headless Chromium, driven by playwright-core, for tests of what a browser sees and does. */
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** A headless context on a profile folder of the caller's; `args` adds switches (e.g. --host-resolver-rules). */
export function launchChromium(profile: string, options: { viewport?: { width: number; height: number }; args?: string[] } = {}): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    ...(options.viewport !== undefined ? { viewport: options.viewport } : {}),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...(options.args ?? []),
    ],
  });
}
