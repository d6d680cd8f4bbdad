// The browser page (templates/index.html) in headless Chromium against a MemoryBus server.
import assert from 'node:assert/strict'
import {accessSync, constants} from 'node:fs'
import {chromium} from 'playwright-core'
import {cleanup, connect, eventually, startMemoryServer} from './support.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

function haveChromium() {
  try {
    accessSync(CHROMIUM, constants.X_OK)
    return true
  } catch {
    return false
  }
}

describe('browser page', function () {
  this.timeout(60_000)
  let browser

  before(async function () {
    if (!haveChromium()) {
      console.warn(`    (skipped: no Chromium at ${CHROMIUM}; apt-get install chromium, or set CHROMIUM_PATH)`)
      this.skip()
    }
    // Playwright gives the browser a fresh temporary profile; the flags keep Chromium off the network.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    })
  })

  after(async () => {
    await browser?.close()
  })

  afterEach(cleanup)

  it('connects to its own port, keeps the draft when a message arrives, and sends on Enter', async () => {
    const server = await startMemoryServer()
    const other = await connect(server)
    const page = await browser.newPage()
    try {
      await page.goto(`http://127.0.0.1:${server.port}/`)
      assert.equal(await page.inputValue('#port'), String(server.port))
      await page.waitForFunction(() => document.querySelector('#status').textContent.startsWith('connected'))

      await page.fill('#messageBox', 'half typed')
      other.send('from elsewhere')
      await page.waitForFunction(() => document.querySelector('#messages').textContent.includes('from elsewhere'))
      assert.equal(await page.inputValue('#messageBox'), 'half typed')

      await page.press('#messageBox', 'Enter')
      await eventually(() => other.texts.includes('half typed'))
      assert.equal(await page.inputValue('#messageBox'), '')
      await page.waitForFunction(() => document.querySelector('#messages').textContent.includes('half typed'))

      await page.fill('#messageBox', 'by button')
      await page.click('#send')
      await eventually(() => other.texts.includes('by button'))
    } finally {
      await page.close()
    }
  })
})
