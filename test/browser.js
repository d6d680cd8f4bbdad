// Debian's Chromium for the page tests, driven by playwright-core (no browser download).
import {accessSync, constants} from 'node:fs'
import {chromium} from 'playwright-core'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
// Playwright gives the browser a fresh temporary profile; these flags keep Chromium off the network.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
]

/** Launches headless Chromium, or skips the calling mocha suite (with a note) where it is not installed. */
export async function launchChromium(context) {
  try {
    accessSync(CHROMIUM, constants.X_OK)
  } catch {
    console.warn(`    (skipped: no Chromium at ${CHROMIUM}; apt-get install chromium, or set CHROMIUM_PATH)`)
    return context.skip()
  }
  return chromium.launch({executablePath: CHROMIUM, args: ARGS})
}
