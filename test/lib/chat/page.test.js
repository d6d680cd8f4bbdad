// The browser page (templates/index.html) in headless Chromium against a MemoryBus server.
import assert from 'node:assert/strict'
import {launchChromium} from '../../browser.js'
import {cleanup, connect, connectV1, eventually, request, startMemoryServer} from './support.js'

describe('browser page', function () {
  this.timeout(60_000)
  let browser

  before(async function () {
    browser = await launchChromium(this)
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

  it("shows text as text, and switching rooms shows the new room's history only", async () => {
    const server = await startMemoryServer()
    const other = await connectV1(server, 'mallory <i>')
    await request(other, {type: 'send', room: 'r2', text: 'earlier in r2', ref: 1})
    const page = await browser.newPage()
    try {
      await page.goto(`http://127.0.0.1:${server.port}/?name=alice`)
      await page.waitForFunction(() => /** @type {HTMLElement} */ (document.querySelector('#status')).dataset.state === 'live')
      await request(other, {type: 'send', room: 'general', text: '<img src=x onerror="document.title=1">', ref: 2})
      await page.waitForFunction(() => document.querySelectorAll('#messages .msg').length === 1)
      assert.equal(await page.textContent('#messages .msg .text'), '<img src=x onerror="document.title=1">')
      assert.equal(await page.textContent('#messages .msg .from'), 'mallory <i>')
      assert.equal(await page.$$eval('#messages img, #messages i', (found) => found.length), 0)

      await page.fill('#room', 'r2')
      await page.press('#room', 'Enter')
      await page.waitForFunction(() => document.querySelector('#messages .msg .text')?.textContent === 'earlier in r2')
      await request(other, {type: 'send', room: 'general', text: 'not for r2', ref: 3})
      await request(other, {type: 'send', room: 'r2', text: 'later in r2', ref: 4})
      await page.waitForFunction(() => document.querySelectorAll('#messages .msg').length === 2)
      assert.deepEqual(await page.$$eval('#messages .msg .text', (els) => els.map((el) => el.textContent)), ['earlier in r2', 'later in r2'])
      assert.deepEqual(await page.$$eval('#members li', (els) => els.map((el) => el.dataset.name)), ['alice'])
    } finally {
      await page.close()
    }
  })
})
