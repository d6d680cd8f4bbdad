// End to end: `chatdds chat` in a real pseudo-terminal (a tmux pane of a private tmux server) against a real cluster,
// with `send` and `tail` as the other members. Also tail's start line, which only a terminal gets.
import assert from 'node:assert/strict'
import os from 'node:os'

import {eventually, freePort, killAll, startCli, waitForOutput} from '../helpers.js'
import {unwrap, useCleanup} from '../lib/client/support.js'
import {occurrences, records, runIn, startIn, startPane, startProject} from './projectSupport.js'

const tag = () => Math.random().toString(36).slice(2, 8)

describe('chatdds chat (through a pseudo-terminal)', function () {
  this.timeout(120_000)
  /** @type {Awaited<ReturnType<typeof startProject>>} */
  let project
  /** @type {ReturnType<typeof startPane>[]} */
  const panes = []
  /** `bob`: a member of #general and #random on chat-2, recording what reaches it. */
  let bob
  const open = (args) => {
    const pane = startPane(project.deep, args)
    panes.push(pane)
    return pane
  }
  const bobGot = () => records(bob.stdoutText)

  before(async () => {
    project = await startProject(2)
    bob = startIn(project.dir, ['tail', '--instance', 'chat-2', '--name', 'bob', '--room', 'general', '--room', 'random', '--history', '50', '--json'])
  })
  afterEach(() => {
    for (const pane of panes.splice(0)) pane.kill()
  })
  after(async () => {
    await killAll()
    project?.stop()
  })

  it('shows what others send once, rendered and escaped, without breaking the line being typed; sends typed lines to the current room; /join, /who, /quit', async () => {
    const pane = open(['chat', '--name', 'alice'])
    await pane.waitFor((screen) => screen.includes(`Connected to chat-1 at ws://127.0.0.1:${project.instances[0].port}/ as alice, in #general;`))
    await pane.waitFor((screen) => screen.endsWith('#general>'))

    // From outside, through the other instance: shown exactly once, as tail shows it.
    const outside = `from outside ${tag()}`
    const sent = await runIn(project.dir, ['send', '--instance', 'chat-2', '--name', 'carol', outside])
    assert.equal(sent.code, 0, sent.stderr)
    let screen = await pane.waitFor((s) => s.includes(outside))
    assert.equal(occurrences(screen, outside), 1, screen)
    assert.match(screen, new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} #general carol: ${outside}$`, 'm'))

    // Typed in the pane: reaches bob (a tail --json on chat-2) with exactly that text, from alice, in #general.
    const typed = `typed in the pane ${tag()}`
    pane.type(typed)
    await eventually(() => bobGot().some((m) => m.text === typed), 30_000)
    assert.deepEqual(
      bobGot()
        .filter((m) => m.text === typed)
        .map(({room, from, origin}) => ({room, from, origin})),
      [{room: 'general', from: 'alice', origin: 'chat-1'}],
    )
    // Its echo is shown once too.
    screen = await pane.waitFor((s) => s.includes(`#general alice: ${typed}`))
    assert.equal(occurrences(screen, `alice: ${typed}`), 1, screen)

    // A message that arrives while a line is half typed: shown above it; the half-typed line stays as it was, and is sent whole.
    const half = `half typed ${tag()}`
    pane.type(half, false)
    await pane.waitFor((s) => s.endsWith(`#general> ${half}`))
    const meanwhile = `meanwhile ${tag()}`
    assert.equal((await runIn(project.dir, ['send', '--instance', 'chat-2', '--name', 'carol', meanwhile])).code, 0)
    screen = await pane.waitFor((s) => s.includes(meanwhile))
    assert.ok(screen.endsWith(`#general> ${half}`), screen)
    pane.type(' and finished')
    await eventually(() => bobGot().some((m) => m.text === `${half} and finished`), 30_000)

    // Escape sequences in a text are shown escaped: they neither recolour nor retitle the terminal.
    const marker = tag()
    const hostile = `${marker} \u001b[31mRED\u001b[0m \u001b]2;pwned\u0007 line one\nline two`
    assert.equal((await runIn(project.dir, ['send', '--instance', 'chat-2', '--name', 'mallory', hostile])).code, 0)
    screen = await pane.waitFor((s) => s.includes(marker))
    assert.match(screen, new RegExp(`#general mallory: ${marker} \\\\e\\[31mRED\\\\e\\[0m \\\\e\\]2;pwned\\\\x07 line one\\\\nline two$`, 'm'))
    assert.notEqual(pane.title(), 'pwned')

    // /join random: typed lines go to #random from then on.
    pane.type('/join random')
    await pane.waitFor((s) => s.includes('Now sending to #random') && s.endsWith('#random>'))
    const inRandom = `in random ${tag()}`
    pane.type(inRandom)
    await eventually(() => bobGot().some((m) => m.text === inRandom), 30_000)
    assert.deepEqual(
      bobGot()
        .filter((m) => m.text === inRandom)
        .map(({room, from}) => ({room, from})),
      [{room: 'random', from: 'alice'}],
    )

    // /who: the members of the current room across the cluster, bob on chat-2 among them (presence travels over DDS).
    await eventually(
      async () => {
        pane.type('/who')
        await new Promise((resolve) => setTimeout(resolve, 300))
        return /^In #random: .*bob \(chat-2\)/m.test(pane.screen())
      },
      30_000,
      0,
    )
    assert.match(pane.screen(), /^In #random: .*alice \(chat-1\)/m)

    pane.type('/quit')
    assert.deepEqual(await pane.exited(), {status: 0})
  })

  it('without a terminal, sends every piped line (commands too) and exits 0 at the end of input', async () => {
    const [first, second] = [`piped ${tag()}`, `piped ${tag()}`]
    const piped = await runIn(project.dir, ['chat', '--name', 'piper'], {input: `${first}\n\n/join random\n${second}\n`})
    assert.equal(piped.code, 0, piped.stderr)
    assert.match(piped.stdout, /^Connected to chat-1 at ws:\/\/127\.0\.0\.1:\d+\/ as piper, in #general;/)
    await eventually(() => bobGot().some((m) => m.text === second), 30_000)
    assert.deepEqual(
      bobGot()
        .filter((m) => m.from === 'piper')
        .map(({room, text}) => ({room, text})),
      [
        {room: 'general', text: first},
        {room: 'random', text: second},
      ],
    )
  })

  it('a mistyped command is one line saying what to do, and the session goes on', async () => {
    const pane = open(['chat', '--instance', 'chat-2', '--room', 'random'])
    await pane.waitFor((screen) => screen.endsWith('#random>'))
    pane.type('/jion general')
    await pane.waitFor((s) => s.includes('There is no command /jion; /help lists them (start a line with // to send a leading /).'))
    const text = `/slash at the start ${tag()}`
    pane.type('/' + text)
    await eventually(() => bobGot().some((m) => m.text === text && m.room === 'random'), 30_000)
    pane.press('C-d')
    assert.deepEqual(await pane.exited(), {status: 0})
  })

  it('Ctrl-C leaves with exit 0', async () => {
    const pane = open(['chat'])
    await pane.waitFor((screen) => screen.endsWith('#general>'))
    pane.press('C-c')
    assert.deepEqual(await pane.exited(), {status: 0})
  })

  it('tail on a terminal says what it follows, on stderr, once', async () => {
    const pane = open(['tail', '--room', 'random'])
    const screen = await pane.waitFor((s) => s.includes('Following'))
    assert.match(screen, new RegExp(`^Following #random on ws://127\\.0\\.0\\.1:${project.instances[0].port}/ \\(chat-1; Ctrl-C to stop\\)$`, 'm'))
    pane.press('C-c')
    assert.deepEqual(await pane.exited(), {status: 0})
  })

  it('no server at --port: exit 1 with a sentence; a room with a # is exit 2', async () => {
    const port = await freePort()
    const refused = await runIn(project.dir, ['chat', '--port', String(port)])
    assert.equal(refused.code, 1, refused.stderr)
    assert.match(unwrap(refused.stderr), new RegExp(`No chatdds server at ws://127\\.0\\.0\\.1:${port}/; start one with \`chatdds serve --port ${port}\`\\.`))
    const bad = await runIn(project.dir, ['chat', '--room', '#general'])
    assert.equal(bad.code, 2, bad.stderr)
    assert.match(unwrap(bad.stderr), /Room names have no leading #: use --room general\./)
  })
})

describe('chatdds chat (through a pseudo-terminal, against fake chatdds.v1 servers)', () => {
  const {fake} = useCleanup()
  /** @type {ReturnType<typeof startPane>[]} */
  const panes = []
  afterEach(() => {
    for (const pane of panes.splice(0)) pane.kill()
  })
  const open = (args) => {
    const pane = startPane(os.tmpdir(), args)
    panes.push(pane)
    return pane
  }

  it('SIGTERM ends it with exit 0, even while stdin stays open', async () => {
    const server = await fake()
    const child = startCli(['chat', '--port', String(server.port)])
    await waitForOutput(child, (output) => output.includes('Connected to fake-1'))
    child.kill('SIGTERM')
    assert.deepEqual(await child.exited, {code: 0, signal: null})
  })

  it("shows a server's refusal as one line, and the session goes on", async () => {
    const server = await fake({sendError: 'rate_limited'})
    const pane = open(['chat', '--port', String(server.port)])
    await pane.waitFor((screen) => screen.endsWith('#general>'))
    pane.type('too fast')
    const screen = await pane.waitFor((s) => s.includes('Refused by the fake server (rate_limited).'))
    assert.match(screen, /^Refused by the fake server \(rate_limited\)\.\n#general>$/m)
    pane.type('/quit')
    assert.deepEqual(await pane.exited(), {status: 0})
  })

  it('reconnects when the connection drops, resumes the room without a duplicate, and sends again', async () => {
    const server = await fake({sloppyResume: true})
    const pane = open(['chat', '--port', String(server.port), '--name', 'alice'])
    await server.waitForJoins(1)
    server.publish('general', 'before the drop')
    await pane.waitFor((s) => s.includes('-: before the drop'))
    server.dropClients()
    server.publish('general', 'while away')
    await server.waitForJoins(2)
    const screen = await pane.waitFor((s) => s.includes('-: while away') && s.includes(`reconnected to ${server.url}; resumed #general`))
    assert.equal(occurrences(screen, 'before the drop'), 1, screen)
    pane.type('after the reconnect')
    await eventually(() => server.frames.some((frame) => frame.type === 'send' && frame.text === 'after the reconnect'))
    await pane.waitFor((s) => s.includes('#general alice: after the reconnect'))
    pane.press('C-d')
    assert.deepEqual(await pane.exited(), {status: 0})
  })
})

describe('chatdds chat --help', () => {
  it('lists the commands, the flags and examples', async () => {
    const {code, stdout: wrapped} = await runIn(os.tmpdir(), ['chat', '--help'])
    assert.equal(code, 0)
    // Help is wrapped to the terminal's width.
    const stdout = wrapped.replace(/[ \n]+/g, ' ')
    assert.match(stdout, /Commands: \/join ROOM, \/leave \[ROOM\], \/room ROOM, \/who \[ROOM\], \/help, \/quit\./)
    assert.match(stdout, /--instance=NAME/)
    assert.match(stdout, /EXAMPLES .*\$ chatdds chat --instance chat-2 -r random --history 20/)
  })
})
