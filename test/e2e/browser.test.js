// The browser page (templates/index.html) in Debian's Chromium, against real `chatdds serve` processes on a DDS domain of our own.
import assert from 'node:assert/strict'
import {launchChromium} from '../browser.js'
import {eventually, killAll, randomDomain} from '../helpers.js'
import {startInstance, waitReady} from '../commands/serveSupport.js'

const ROOM = 'general'

const wsUrl = (instance) => `ws://127.0.0.1:${instance.port}/`

/** GET /presence, which must answer 200 with JSON. */
async function presence(instance) {
  const response = await fetch(`http://127.0.0.1:${instance.port}/presence`)
  assert.equal(response.status, 200, `GET /presence on ${instance.name}`)
  assert.equal(response.headers.get('content-type'), 'application/json')
  return response.json()
}

/** Polls GET /presence until it equals `expected`; fails at once when the endpoint does not answer, with the last answer at the deadline. */
async function presenceBecomes(instance, expected, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const answer = await presence(instance)
    if (JSON.stringify(answer) === JSON.stringify(expected) || Date.now() > deadline) {
      assert.deepEqual(answer, expected, `GET /presence on ${instance.name}`)
      return answer
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** The /presence answer for `instance` in a cluster of `instances` whose room general has `members` ([name, instance]). */
const presenceOf = (instance, instances, members) => ({
  instance: instance.name,
  instances: instances.map((i) => ({name: i.name, url: wsUrl(i)})),
  rooms: members.length === 0 ? {} : {[ROOM]: members.map(([name, at]) => ({name, instance: at.name}))},
})

// ---- what a page shows ----

const shown = (page) =>
  page.$$eval('#messages .msg', (elements) =>
    elements.map((el) => ({id: el.dataset.id, from: el.querySelector('.from').textContent, text: el.querySelector('.text').textContent})),
  )
const texts = async (page) => (await shown(page)).map((m) => `${m.from}: ${m.text}`)
const members = (page) => page.$$eval('#members li', (items) => items.map((li) => `${li.dataset.name}@${li.dataset.instance}`).sort())

function showsText(page, text) {
  return page.waitForFunction((t) => [...document.querySelectorAll('#messages .msg .text')].some((el) => el.textContent === t), text)
}

/** Resolves once the page has joined its room on `instance` (any instance when undefined). */
function live(page, instance) {
  return page.waitForFunction((name) => {
    const status = /** @type {HTMLElement} */ (document.querySelector('#status'))
    return status.dataset.state === 'live' && (!name || status.dataset.instance === name)
  }, instance)
}

async function type(page, text, how = 'Enter') {
  await page.fill('#messageBox', text)
  if (how === 'Enter') await page.press('#messageBox', 'Enter')
  else await page.click('#send')
}

describe('browser page against real `chatdds serve` instances', function () {
  this.timeout(240_000)
  let browser
  const contexts = []
  const problems = [] // console errors and uncaught exceptions of every page
  const domain = randomDomain()
  let a, b, c
  let alice, bob, carol

  async function openPage(url) {
    // A context per page: separate storage, like separate people.
    const context = await browser.newContext()
    contexts.push(context)
    const page = await context.newPage()
    page.setDefaultTimeout(30_000)
    // Chromium logs every refused websocket as a console error; those are expected while an instance is down.
    page.on('console', (message) => {
      if (message.type() === 'error' && !/^WebSocket connection to '.*' failed/.test(message.text())) problems.push(`${url}: ${message.text()}`)
    })
    page.on('pageerror', (error) => problems.push(`${url}: ${error.message}`))
    await page.goto(url)
    return page
  }

  before(async function () {
    browser = await launchChromium(this)
    ;[a, b] = await Promise.all(['e2e-a', 'e2e-b'].map((name) => startInstance(name, domain)))
    await Promise.all([a, b].map((instance) => waitReady(instance, 1)))
    // Each instance knows the other (name and websocket URL) before anyone joins a room.
    await presenceBecomes(a, presenceOf(a, [a, b], []))
    await presenceBecomes(b, presenceOf(b, [a, b], []))
  })

  after(async () => {
    for (const context of contexts) await context.close().catch(() => {})
    await browser?.close()
    await killAll()
  })

  it('two pages on two instances exchange messages, with sender names, on both pages', async () => {
    // No port list: the page learns where to fail over to from hello.instances.
    alice = await openPage(`http://127.0.0.1:${a.port}/?name=alice`)
    bob = await openPage(`http://127.0.0.1:${b.port}/?name=bob`)
    await live(alice, a.name)
    await live(bob, b.name)
    assert.equal(await alice.inputValue('#name'), 'alice')
    assert.equal(await alice.inputValue('#room'), ROOM)
    assert.match(await alice.textContent('#status'), new RegExp(`^connected to ${a.name} · ws://127\\.0\\.0\\.1:${a.port}/$`))

    await type(alice, 'hello from alice')
    await showsText(bob, 'hello from alice')
    await type(bob, 'hi alice, <b>bob</b> here', 'click')
    await showsText(alice, 'hi alice, <b>bob</b> here')
    await showsText(bob, 'hi alice, <b>bob</b> here')

    const expected = ['alice: hello from alice', 'bob: hi alice, <b>bob</b> here']
    assert.deepEqual(await texts(alice), expected)
    assert.deepEqual(await texts(bob), expected)
    // The same DDS sample ids on both pages; text is text, never markup.
    assert.deepEqual(
      (await shown(alice)).map((m) => m.id),
      (await shown(bob)).map((m) => m.id),
    )
    assert.equal(await alice.$$eval('#messages b', (bold) => bold.length), 0)
    // The page marks its own messages (from the ack's id).
    assert.deepEqual(await alice.$$eval('#messages .msg.mine .text', (els) => els.map((el) => el.textContent)), ['hello from alice'])
    assert.equal(await alice.inputValue('#messageBox'), '')

    const both = [`alice@${a.name}`, `bob@${b.name}`]
    await eventually(async () => JSON.stringify(await members(alice)) === JSON.stringify(both))
    await eventually(async () => JSON.stringify(await members(bob)) === JSON.stringify(both))
    // What the pages show is what each instance answers on GET /presence.
    for (const instance of [a, b])
      await presenceBecomes(
        instance,
        presenceOf(
          instance,
          [a, b],
          [
            ['alice', a],
            ['bob', b],
          ],
        ),
      )
    assert.deepEqual(await alice.evaluate(() => window.chatdds.state().instances), [
      {name: a.name, url: wsUrl(a)},
      {name: b.name, url: wsUrl(b)},
    ])
  })

  it('keeps the draft in messageBox when a message arrives', async () => {
    await alice.fill('#messageBox', 'half-written draft')
    await type(bob, 'are you typing?')
    await showsText(alice, 'are you typing?')
    assert.equal(await alice.inputValue('#messageBox'), 'half-written draft')
    await alice.press('#messageBox', 'Enter')
    await showsText(bob, 'half-written draft')
    assert.equal(await alice.inputValue('#messageBox'), '')
  })

  it('shows the error of an error frame', async () => {
    await bob.evaluate(() => window.chatdds.send({type: 'shout', ref: 'x1'}))
    await bob.waitForFunction(() => [...document.querySelectorAll('#messages .note.error')].some((el) => el.textContent.includes('unknown_type')))
    assert.match(await bob.textContent('#messages .note.error'), /^Error unknown_type: Unknown frame type "shout"/)
  })

  it('a page opened later sees the history', async () => {
    // A third instance started after the messages: it has them from its peers.
    c = await startInstance('e2e-c', domain)
    await Promise.all([a, b, c].map((instance) => waitReady(instance, 2)))
    carol = await openPage(`http://127.0.0.1:${c.port}/?name=carol`)
    await live(carol, c.name)
    await showsText(carol, 'half-written draft')
    const history = ['alice: hello from alice', 'bob: hi alice, <b>bob</b> here', 'bob: are you typing?', 'alice: half-written draft']
    assert.deepEqual(await texts(carol), history)
    assert.deepEqual(await texts(alice), history)
    assert.deepEqual(
      (await shown(carol)).map((m) => m.id),
      (await shown(alice)).map((m) => m.id),
    )

    const everyone = [`alice@${a.name}`, `bob@${b.name}`, `carol@${c.name}`]
    await eventually(async () => JSON.stringify(await members(carol)) === JSON.stringify(everyone))
    // Pushed to the pages already in the room.
    await eventually(async () => JSON.stringify(await members(alice)) === JSON.stringify(everyone))
    await eventually(async () => JSON.stringify(await members(bob)) === JSON.stringify(everyone))
    for (const instance of [a, b, c])
      await presenceBecomes(
        instance,
        presenceOf(
          instance,
          [a, b, c],
          [
            ['alice', a],
            ['bob', b],
            ['carol', c],
          ],
        ),
      )
    // alice's page learnt of the new instance (a fail-over candidate) from carol's arrival.
    const known = await alice.evaluate(() =>
      window.chatdds
        .state()
        .instances.map((i) => `${i.name} ${i.url}`)
        .sort(),
    )
    assert.deepEqual(
      known,
      [a, b, c].map((i) => `${i.name} ${wsUrl(i)}`),
    )
  })

  it('a page whose instance is killed reconnects to another and misses nothing', async () => {
    const before = await texts(alice)
    a.child.kill('SIGKILL')
    await a.child.exited
    // Sent through the surviving instance while alice's page is between instances.
    const during = ['during 1', 'during 2', 'during 3', 'during 4', 'during 5']
    for (const text of during) {
      await type(bob, text)
      await showsText(bob, text)
    }
    await alice.waitForFunction((dead) => {
      const status = /** @type {HTMLElement} */ (document.querySelector('#status'))
      return status.dataset.state === 'live' && status.dataset.instance !== dead
    }, a.name)
    const rescuer = await alice.$eval('#status', (el) => el.dataset.instance)
    assert.ok([b.name, c.name].includes(rescuer), `alice's page went to ${rescuer}`)
    const rescuerInstance = rescuer === b.name ? b : c
    assert.equal(await alice.inputValue('#port'), String(rescuerInstance.port))

    await type(bob, 'after 1')
    await type(alice, 'alice is back')
    await showsText(alice, 'after 1')
    await showsText(bob, 'alice is back')
    await showsText(alice, 'alice is back')

    const expected = [...before, ...during.map((text) => `bob: ${text}`), 'bob: after 1', 'alice: alice is back']
    assert.deepEqual(await texts(alice), expected)
    assert.deepEqual(await texts(bob), expected)
    const ids = (await shown(alice)).map((m) => m.id)
    assert.equal(new Set(ids).size, ids.length, 'no message shown twice')
    assert.deepEqual(
      ids,
      (await shown(bob)).map((m) => m.id),
    )
    assert.match(await alice.textContent('#messages'), new RegExp(`Connection to ${a.name} lost`))
    assert.match(await alice.textContent('#messages'), new RegExp(`Reconnected to ${rescuer}; resumed #${ROOM}`))

    // The killed instance's users leave everyone's presence; alice is back from her new instance.
    const everyone = [`alice@${rescuer}`, `bob@${b.name}`, `carol@${c.name}`].sort()
    await eventually(async () => JSON.stringify(await members(bob)) === JSON.stringify(everyone), 30_000)
    await eventually(async () => JSON.stringify(await members(alice)) === JSON.stringify(everyone), 30_000)
    // The killed instance is gone from the cluster as the survivors describe it.
    for (const instance of [b, c])
      await presenceBecomes(
        instance,
        presenceOf(
          instance,
          [b, c],
          [
            ['alice', rescuerInstance],
            ['bob', b],
            ['carol', c],
          ],
        ),
        30_000,
      )
    if (process.env.CHATDDS_SCREENSHOT) await alice.screenshot({path: process.env.CHATDDS_SCREENSHOT})
  })

  it('plain mode speaks the reference protocol: no subprotocol, room general as text', async () => {
    const page = await openPage(`http://127.0.0.1:${b.port}/?plain=1`)
    assert.equal(await page.isChecked('#plain'), true)
    assert.equal(await page.isVisible('#name'), false)
    assert.equal(await page.isVisible('#members'), false)
    await page.waitForFunction(() => document.querySelector('#status').textContent.startsWith('connected'))
    const plainClients = async () => /chatdds_clients\{protocol="plain"\} 1\b/.test(await (await fetch(`http://127.0.0.1:${b.port}/metrics`)).text())
    await eventually(plainClients)

    // The reference's flow: type the port, Connect, type, Send Message.
    await page.fill('#port', String(b.port))
    await page.click('#connect')
    await page.waitForFunction(() => document.querySelector('#status').textContent.startsWith('connected'))
    await type(page, 'plain hello', 'click')
    assert.equal(await page.inputValue('#messageBox'), '')
    await showsText(bob, 'plain hello')
    await page.waitForFunction(() => document.querySelector('#messages').textContent.endsWith('\n\nplain hello'))
    assert.deepEqual((await texts(bob)).at(-1), 'plain client: plain hello')

    await page.fill('#messageBox', 'plain draft')
    await type(bob, 'to the plain page')
    await page.waitForFunction(() => document.querySelector('#messages').textContent.endsWith('\n\nto the plain page'))
    assert.equal(await page.textContent('#messages'), '\n\nplain hello\n\nto the plain page')
    assert.equal(await page.inputValue('#messageBox'), 'plain draft')
    // A plain client is in no room's presence: b's answer still lists only the three chatdds.v1 pages.
    const rescuer = (await alice.$eval('#status', (el) => el.dataset.instance)) === b.name ? b : c
    assert.deepEqual(
      await presence(b),
      presenceOf(
        b,
        [b, c],
        [
          ['alice', rescuer],
          ['bob', b],
          ['carol', c],
        ],
      ),
    )
  })

  it('logged no errors in any page', () => {
    assert.deepEqual(problems, [])
  })
})
