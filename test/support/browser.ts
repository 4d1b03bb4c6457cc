/**
 * Debian's Chromium (/usr/bin/chromium, installed by `scripts/setup.mjs --chromium` and `.ci/run`)
 * driven by playwright-core, which never downloads a browser: one launch for every browser test.
 */
import { existsSync } from 'node:fs';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A headless Chromium with a profile of its own; `options` set the viewport, locale, zone. Throws, saying how to install it, when it is missing. */
export async function launchChromium(profile: string, options: Omit<NonNullable<Parameters<typeof chromium.launchPersistentContext>[1]>, 'executablePath' | 'headless' | 'args'> = {}): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run \`node scripts/setup.mjs --chromium\` (apt-get install chromium, as root)`);
  return chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, ...options });
}
