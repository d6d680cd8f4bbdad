// GET /dashboard in Debian's Chromium against a real `cluster up -n 2`: the charts get data, the graph shows both instances and their one DDS link.
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {isClusterInstance} from '../../dist/lib/cluster/processes.js'
import {launchChromium} from '../browser.js'
import {freeRange} from '../clusterSupport.js'
import {eventually, killAll, randomDomain, runCli} from '../helpers.js'
import {openSocket, startServe} from '../commands/serveSupport.js'
import {countColour} from './png.js'

// The page's colours (templates/dashboard.js COLORS, dashboard.html): chat-1, chat-2, and the DDS link.
const CHAT_1 = '#1f77b4'
const CHAT_2 = '#d62728'
const LINK = '#555555'
const SENT = 20

describe('GET /dashboard in Chromium', function () {
  this.timeout(240_000)
  const dir = mkdtempSync(path.join(os.tmpdir(), 'chatdds-dashboard-'))
  const problems = []
  let browser
  let manifest
  let sender

  async function openPage(url) {
    const context = await browser.newContext({viewport: {width: 1200, height: 1100}})
    const page = await context.newPage()
    page.setDefaultTimeout(30_000)
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`${url}: ${message.text()}`)
    })
    page.on('pageerror', (error) => problems.push(`${url}: ${error.message}`))
    await page.goto(url)
    return page
  }

  before(async function () {
    browser = await launchChromium(this)
    const base = await freeRange(2)
    const up = await runCli(['cluster', 'up', '-n', '2', '--detach', '--json', '--domain', String(randomDomain()), '--base-port', String(base), '--dir', dir], {
      timeoutMs: 90_000,
    })
    assert.equal(up.code, 0, up.stderr + up.stdout)
    manifest = JSON.parse(up.stdout)
  })

  after(async () => {
    sender?.terminate()
    await browser?.close()
    await runCli(['cluster', 'down', '--dir', dir]).catch(() => {})
    if (existsSync(path.join(dir, 'cluster.json'))) {
      const left = JSON.parse(readFileSync(path.join(dir, 'cluster.json'), 'utf8'))
      for (const instance of left.instances) if (isClusterInstance(left, instance)) process.kill(instance.pid, 'SIGKILL')
    }
    await killAll()
    rmSync(dir, {recursive: true, force: true})
  })

  it('charts the messages sent, draws chat-1 and chat-2 with one link, and the screenshot shows them', async () => {
    const [first, second] = manifest.instances
    const page = await openPage(`${first.url}dashboard`)
    await page.waitForFunction(() => document.querySelector('#status')?.getAttribute('data-state') === 'live')

    sender = await openSocket(second.port)
    for (let i = 0; i < SENT; i++) sender.send(`dashboard message ${i}`)
    await eventually(() => sender.texts.length === SENT, 30_000)

    // A poll of chat-2 after the messages gives a rate above 0; the page has kept at least 3 points.
    await page.waitForFunction(() => {
      const rates = /** @type {HTMLElement} */ (document.querySelector('#rates'))
      return Number(rates.dataset.points) >= 3 && Number(rates.dataset.max) > 0
    })
    assert.equal(await page.$$eval('#rates .uplot', (charts) => charts.length), 1)
    assert.equal(await page.$$eval('#latency .uplot', (charts) => charts.length), 1)

    await page.waitForFunction(() => document.querySelectorAll('#graph .edge').length === 1 && document.querySelectorAll('#graph .node.ready').length === 2)
    assert.deepEqual(await page.$$eval('#graph .node', (nodes) => nodes.map((node) => [node.getAttribute('data-name'), node.querySelector('text')?.textContent])), [
      ['chat-1', 'chat-1'],
      ['chat-2', 'chat-2'],
    ])
    assert.deepEqual(await page.$$eval('#graph .edge', (edges) => edges.map((edge) => [edge.getAttribute('data-a'), edge.getAttribute('data-b')])), [
      ['chat-1', 'chat-2'],
    ])

    // CORS by the websocket Origin policy: the cluster's pages may read another instance's data, a foreign page may not.
    const cors = async (origin) => (await fetch(`${second.url}dashboard/data`, {headers: {origin}})).headers.get('access-control-allow-origin')
    assert.equal(await cors(`http://127.0.0.1:${first.port}`), `http://127.0.0.1:${first.port}`)
    assert.equal(await cors('http://evil.example'), null)

    // The table shows what chat-2's own /dashboard/data says it received from its clients.
    const {messagesIn} = await (await fetch(`${second.url}dashboard/data`)).json()
    assert.ok(messagesIn >= SENT, `chat-2 messagesIn ${messagesIn}`)
    await page.waitForFunction((count) => document.querySelector('#instances tr[data-name="chat-2"] td:nth-child(5)')?.textContent === String(count), messagesIn)

    const graph = await page.locator('#graph').screenshot()
    const [chat1Pixels, chat2Pixels, linkPixels] = [CHAT_1, CHAT_2, LINK].map((colour) => countColour(graph, colour))
    // Each node is a disc of radius 30 (about 2800 pixels), less its label; the link is 3 pixels wide.
    assert.ok(chat1Pixels > 1500, `chat-1's colour on ${chat1Pixels} pixels of the graph`)
    assert.ok(chat2Pixels > 1500, `chat-2's colour on ${chat2Pixels} pixels of the graph`)
    assert.ok(linkPixels > 100, `the link's colour on ${linkPixels} pixels of the graph`)
    const rates = await page.locator('#rates').screenshot()
    // Anti-aliased 2-pixel lines: near the series colour.
    assert.ok(countColour(rates, CHAT_2, 40) > 20, "chat-2's rate series is not in the chart's screenshot")
    assert.ok(countColour(rates, CHAT_1, 40) > 20, "chat-1's rate series is not in the chart's screenshot")
    assert.deepEqual(problems, [])
  })

  it('with --api-key: /dashboard/data is 401 without the key, 200 with it (Bearer or ?key=); the page says which key it needs', async () => {
    const {port} = await startServe(['--api-key', 'dashboard-test-key'])
    const url = `http://127.0.0.1:${port}/dashboard/data`
    const without = await fetch(url)
    assert.equal(without.status, 401)
    assert.match(await without.text(), /needs the API key: open \/dashboard\?key=<--api-key>/)
    assert.equal((await fetch(url, {headers: {authorization: 'Bearer wrong'}})).status, 401)
    assert.equal((await fetch(url, {headers: {authorization: 'Bearer dashboard-test-key'}})).status, 200)
    const withKey = await fetch(`${url}?key=dashboard-test-key`)
    assert.equal(withKey.status, 200)
    const data = await withKey.json()
    assert.deepEqual(Object.keys(data).sort(), [
      'atMs',
      'clients',
      'instance',
      'instances',
      'latency',
      'messagesIn',
      'messagesOut',
      'peers',
      'ready',
      'rooms',
      'rssBytes',
      'uptimeSeconds',
    ])
    // The page itself has no data: it is served to anyone.
    assert.equal((await fetch(`http://127.0.0.1:${port}/dashboard`)).status, 200)

    const page = await openPage(`http://127.0.0.1:${port}/dashboard`)
    await page.waitForFunction(() => document.querySelector('#status')?.getAttribute('data-state') === 'unauthorized')
    assert.match((await page.textContent('#error')) ?? '', /needs the API key/)
    const keyed = await openPage(`http://127.0.0.1:${port}/dashboard?key=dashboard-test-key`)
    await keyed.waitForFunction(() => document.querySelector('#status')?.getAttribute('data-state') === 'live')
    // Chromium reports the refused fetch of the keyless page as a console error: expected here, and only that.
    assert.deepEqual(
      problems.filter((problem) => !/401 \(Unauthorized\)/.test(problem)),
      [],
    )
  })
})
