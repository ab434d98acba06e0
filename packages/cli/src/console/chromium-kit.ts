import { join } from 'node:path'
import { type BrowserContext, chromium } from 'playwright-core'

/*
 * Test support: Debian's Chromium (/usr/bin/chromium, package `chromium`) driven by
 * playwright-core, headless. Without it the launch fails, and so does the test: `.ci/run`
 * installs it.
 */

/** CHROMIUM is where Debian's chromium package puts the browser. */
export const CHROMIUM = '/usr/bin/chromium'

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** launchChromium starts a headless Chromium with its profile under `dir`. */
export function launchChromium(dir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1100, height: 640 },
  })
}
