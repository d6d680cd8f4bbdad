// The browser page with connect tokens, in Debian's Chromium, against real `chatdds serve --auth-secret` instances.
import assert from 'node:assert/strict'
import http from 'node:http'

import {launchChromium} from '../browser.js'
import {killAll, randomDomain} from '../helpers.js'
import {SECRET, token} from '../lib/chat/authSupport.js'
import {startInstance, waitReady} from '../commands/serveSupport.js'

describe('browser page with connect tokens against real instances', function () {
  this.timeout(180_000)
  let browser
  let a, b
  let elsewhere // a web server of another origin
  const contexts = []
  const problems = []

  async function openPage(url, {expectRefusals = false} = {}) {
    const context = await browser.newContext()
    contexts.push(context)
    const page = await context.newPage()
    page.setDefaultTimeout(30_000)
    page.on('console', (message) => {
      if (message.type() === 'error' && !(expectRefusals && /^WebSocket connection to '.*' failed/.test(message.text()))) problems.push(`${url}: ${message.text()}`)
    })
    page.on('pageerror', (error) => problems.push(`${url}: ${error.message}`))
    await page.goto(url)
    return page
  }

  const live = (page) => page.waitForFunction(() => /** @type {HTMLElement} */ (document.querySelector('#status')).dataset.state === 'live')
  const texts = (page) =>
    page.$$eval('#messages .msg', (els) => els.map((el) => `${el.querySelector('.from').textContent}: ${el.querySelector('.text').textContent}`))
  const showsText = (page, text) => page.waitForFunction((t) => [...document.querySelectorAll('#messages .msg .text')].some((el) => el.textContent === t), text)
  /** What a websocket opened from the page's own origin gets: 'open', or 'closed <code>'. */
  const tryWebSocket = (page, url) =>
    page.evaluate(
      (target) =>
        new Promise((resolve) => {
          const ws = new WebSocket(target, 'chatdds.v1')
          ws.onopen = () => {
            ws.close()
            resolve('open')
          }
          ws.onclose = (event) => resolve(`closed ${event.code}`)
        }),
      url,
    )

  before(async function () {
    browser = await launchChromium(this)
    const domain = randomDomain()
    ;[a, b] = await Promise.all(['tok-a', 'tok-b'].map((name) => startInstance(name, domain, ['--auth-secret', SECRET])))
    await Promise.all([waitReady(a, 1), waitReady(b, 1)])
    elsewhere = http.createServer((req, res) => res.end('<!DOCTYPE html><title>elsewhere</title>'))
    await new Promise((resolve) => elsewhere.listen(0, '127.0.0.1', resolve))
  })

  after(async () => {
    for (const context of contexts) await context.close().catch(() => {})
    await browser?.close()
    elsewhere?.close()
    await killAll()
  })

  it('passes ?token= from its own URL to its websocket: the token decides the name, and messages flow', async () => {
    const alice = await openPage(`http://127.0.0.1:${a.port}/?name=mallory&token=${await token({sub: 'u-1', name: 'alice'})}`)
    const bob = await openPage(`http://127.0.0.1:${b.port}/?token=${await token({sub: 'bob'})}`)
    await live(alice)
    await live(bob)
    assert.equal(await alice.inputValue('#name'), 'alice')
    assert.equal(await alice.$eval('#name', (el) => el.readOnly), true)
    await alice.fill('#messageBox', 'signed hello')
    await alice.press('#messageBox', 'Enter')
    await showsText(bob, 'signed hello')
    await bob.fill('#messageBox', 'hi alice')
    await bob.press('#messageBox', 'Enter')
    await showsText(alice, 'hi alice')
    assert.deepEqual(await texts(alice), ['alice: signed hello', 'bob: hi alice'])
    assert.deepEqual(await texts(bob), ['alice: signed hello', 'bob: hi alice'])
    // The plain mode of the page carries the token too.
    const plain = await openPage(`http://127.0.0.1:${b.port}/?plain=1&token=${await token({sub: 'p'})}`)
    await plain.waitForFunction(() => document.querySelector('#status').textContent.startsWith('connected'))
    await plain.fill('#messageBox', 'plain with a token')
    await plain.click('#send')
    await showsText(alice, 'plain with a token')
  })

  it('a page without a token, or of another origin, gets no websocket', async () => {
    const tokenless = await openPage(`http://127.0.0.1:${a.port}/`, {expectRefusals: true})
    assert.equal(await tryWebSocket(tokenless, `ws://127.0.0.1:${a.port}/`), 'closed 1006')
    assert.equal(await tryWebSocket(tokenless, `ws://127.0.0.1:${a.port}/?token=${await token()}`), 'open')
    const foreign = await openPage(`http://127.0.0.1:${elsewhere.address().port}/`, {expectRefusals: true})
    assert.equal(await tryWebSocket(foreign, `ws://127.0.0.1:${a.port}/?token=${await token()}`), 'closed 1006')
  })

  it('logged no errors in any page', () => {
    assert.deepEqual(problems, [])
  })
})
