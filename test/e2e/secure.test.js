// A secure backplane end to end: `cluster up --secure` passes the message, history and presence checks; a
// participant without credentials, or with a certificate from another CA, reads and writes nothing of it; and a
// capture of the loopback DDS traffic holds no message text, while one of an insecure cluster does.
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {isClusterInstance} from '../../dist/lib/cluster/processes.js'
import {issueIdentity} from '../../dist/lib/security/index.js'
import {LOG_TIME, eventually, killAll, randomDomain, root, runCli, start, startCli, waitForOutput} from '../helpers.js'
import {getJson, openSocket, openV1, startInstances, startServe, waitReady} from '../commands/serveSupport.js'
import {makePki} from '../lib/security/support.js'

const foreign = (program) => path.join(root, 'test', 'foreign', 'build', program)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const member = (name, instance) => ({name, instance})
const unique = (what) => `${what}-${Math.random().toString(36).slice(2, 10)}`

/** Sends `text` through the instance on `port` with `chatdds send` (exit 0 once it came back through DDS). */
async function send(port, text, extra = []) {
  const sent = await runCli(['send', '--port', String(port), ...extra, text])
  assert.equal(sent.code, 0, sent.stderr)
}

/**
 * Captures the UDP traffic on lo to and from the ports of DDS domain `domain` (7400 + 250·domain and the 249 after it)
 * while `during()` runs: the bytes of the pcap file. tcpdump is Debian's (scripts/apt-packages.txt).
 */
async function capture(dir, domain, during) {
  const file = path.join(dir, `domain-${domain}.pcap`)
  const base = 7400 + 250 * domain
  const tcpdump = start('tcpdump', ['-i', 'lo', '-n', '-U', '--immediate-mode', '-B', '16384', '-w', file, `udp portrange ${base}-${base + 249}`])
  await waitForOutput(tcpdump, (out) => /listening on lo/.test(out) || /tcpdump: /.test(out), 10_000)
  assert.match(tcpdump.output(), /listening on lo/, 'tcpdump could not capture on lo (install tcpdump, run as root)')
  try {
    await during()
    await sleep(500) // the samples' acknowledgments and repeats
  } finally {
    tcpdump.kill('SIGINT')
    await tcpdump.exited
  }
  // A packet the kernel dropped was never looked at: the capture must be whole for its absence of text to mean anything.
  assert.match(tcpdump.output(), /^0 packets dropped by kernel$/m, tcpdump.output())
  return readFileSync(file)
}

/** chatdds_clients of the instance on `port`, summed over its labels. */
async function clients(port) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  return text
    .split('\n')
    .filter((line) => /^chatdds_clients[ {]/.test(line))
    .reduce((sum, line) => sum + Number(line.split(/\s+/).at(-1)), 0)
}

const occurrences = (bytes, text) => {
  let count = 0
  for (let at = bytes.indexOf(text); at >= 0; at = bytes.indexOf(text, at + 1)) count++
  return count
}

describe('DDS Security: a secure cluster (cluster up --secure)', function () {
  this.timeout(180_000)
  let dir
  let runDir
  let domain
  let manifest
  let port

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'chatdds-secure-'))
    runDir = path.join(dir, 'cluster')
    domain = randomDomain()
    const base = 20_000 + Math.floor(Math.random() * 10_000)
    const up = await runCli(
      ['cluster', 'up', '-n', '3', '--secure', '--detach', '--json', '--dir', runDir, '--domain', String(domain), '--base-port', String(base)],
      {timeoutMs: 90_000},
    )
    assert.equal(up.code, 0, up.stderr)
    manifest = JSON.parse(up.stdout)
    port = (index) => manifest.instances[index].port
  })

  after(async () => {
    await killAll()
    if (existsSync(path.join(runDir, 'cluster.json'))) {
      await runCli(['cluster', 'down', '--dir', runDir])
      const last = JSON.parse(readFileSync(path.join(runDir, 'cluster.json'), 'utf8'))
      for (const instance of last.instances) if (isClusterInstance(last, instance)) process.kill(instance.pid, 'SIGKILL')
    }
    rmSync(dir, {recursive: true, force: true})
  })

  it('status says it is secure; a message reaches the other instances (tail) and `spy --dir`, as read-only identity spy', async () => {
    assert.deepEqual(manifest.security, {dir: path.join(runDir, 'security'), toolIdentity: 'spy'})
    const status = await runCli(['cluster', 'status', '--dir', runDir])
    assert.equal(status.code, 0, status.stderr)
    assert.match(
      status.stdout,
      new RegExp(`3 of 3 instances running on DDS domain ${domain} with DDS Security \\(authenticated and encrypted; PKI ${runDir}/security\\)`),
    )
    assert.equal(JSON.parse((await runCli(['cluster', 'status', '--json', '--dir', runDir])).stdout).secure, true)
    for (const instance of manifest.instances) {
      assert.match(
        readFileSync(instance.log, 'utf8'),
        new RegExp(
          `^${LOG_TIME}Joined DDS domain ${domain} as ${instance.name} \\(interface 127\\.0\\.0\\.1, DDS Security with ${runDir}/security/identities/${instance.name}/identity\\.pem\\)$`,
          'm',
        ),
      )
    }

    const text = unique('secure hello')
    const tails = [0, 2].map((index) => startCli(['tail', '--port', String(port(index)), '--count', '1', '--history', '5', '--timeout', '60']))
    const spy = startCli(['spy', '--dir', runDir, '--count', '1', '--timeout', '60', '--json'])
    // spy's reader is matched by chat-2's writer once it is authorized: 3 instances + spy.
    await eventually(async () => (await getJson(port(1), '/readyz')).matchedReaders >= 4, 30_000)
    await send(port(1), text)
    for (const tail of tails) {
      assert.equal((await tail.exited).code, 0, tail.output())
      assert.match(tail.output(), new RegExp(`: ${text}$`, 'm'))
    }
    assert.equal((await spy.exited).code, 0, spy.output())
    const spied = JSON.parse(
      spy
        .output()
        .split('\n')
        .find((line) => line.startsWith('{')),
    )
    assert.deepEqual([spied.participant, spied.text, spied.room], ['chat-2', text, 'general'])
  })

  it('history: a 4th secure instance started afterwards hands over all 10 messages of room r, in order', async () => {
    const senders = await Promise.all([0, 1, 2].map((index) => openV1(port(index), `sender-${index + 1}`)))
    const listener = await openV1(port(0), 'listener')
    await listener.request({type: 'join', room: 'r'})
    const expected = []
    for (let n = 1; n <= 10; n++) {
      const text = `history ${n}`
      const ack = await senders[n % 3].request({type: 'send', room: 'r', text})
      assert.equal(ack.type, 'ack', JSON.stringify(ack))
      expected.push({id: ack.id, text})
      await eventually(() => listener.ofType('message').some((m) => m.id === ack.id))
      await sleep(2)
    }
    for (const ws of [...senders, listener]) ws.terminate()

    await issueIdentity(manifest.security.dir, 'chat-4')
    const late = await startServe(['--domain', String(domain), '--dds-config', manifest.config, '--dds-security', manifest.security.dir, '--name', 'chat-4'], {
      domain: false,
    })
    const instance = {...late, name: 'chat-4'}
    await waitReady(instance, 3)
    assert.match(late.child.output(), /History hand-over complete in [\d.]+ s: 3 peers answered \(chat-1, chat-2, chat-3\); \d+ messages merged into \d+ rooms/)
    const client = await openV1(late.port, 'late-reader')
    const joined = await client.request({type: 'join', room: 'r', history: 10})
    assert.deepEqual([joined.type, joined.replayed, joined.recovered], ['joined', 10, true])
    await eventually(() => client.ofType('message').length >= 10)
    assert.deepEqual(
      client.ofType('message').map(({id, text}) => ({id, text})),
      expected,
    )
    client.terminate()
    late.child.kill('SIGTERM')
    await late.child.exited
  })

  it('presence: members across the instances, and a leave pushed to the others', async () => {
    const alice = await openV1(port(0), 'alice')
    const bob = await openV1(port(1), 'bob')
    const converged = (members) =>
      eventually(async () => {
        const views = await Promise.all([0, 1, 2].map((index) => getJson(port(index), '/presence')))
        return views.every((view) => JSON.stringify(view.rooms.p) === JSON.stringify(members))
      })
    await alice.request({type: 'join', room: 'p'})
    await converged([member('alice', 'chat-1')])
    assert.deepEqual((await bob.request({type: 'join', room: 'p'})).members, [member('alice', 'chat-1'), member('bob', 'chat-2')])
    await converged([member('alice', 'chat-1'), member('bob', 'chat-2')])
    await bob.request({type: 'leave', room: 'p'})
    await eventually(() => alice.ofType('presence-change').some((c) => c.change === 'leave' && c.name === 'bob' && c.instance === 'chat-2'))
    assert.deepEqual((await alice.request({type: 'presence', room: 'p'})).members, [member('alice', 'chat-1')])
    for (const ws of [alice, bob]) ws.terminate()
  })

  it('a foreign Fast DDS program without credentials receives none of its messages, and nothing it writes reaches a client', async () => {
    const plain = await openSocket(port(0))
    const tail = startCli(['tail', '--port', String(port(2)), '--count', '3', '--timeout', '60'])
    // foreign-sub matches foreign-pub (neither is secure): proof that both work on this domain.
    const sub = start(foreign('foreign-sub'), ['--count', '1000', '--domain', String(domain), '--timeout', '8', '--name', 'foreign-sub'])
    await waitForOutput(sub, (out) => out.includes('joined domain'))
    const pub = start(foreign('foreign-pub'), ['--count', '5', '--domain', String(domain), '--prefix', 'forged-', '--wait-readers', '1', '--name', 'foreign-pub'])
    assert.equal((await pub.exited).code, 0, pub.output())
    const texts = [unique('cluster one'), unique('cluster two'), unique('cluster three')]
    await eventually(async () => (await clients(port(2))) >= 1)
    for (const text of texts) await send(port(1), text)
    assert.equal((await tail.exited).code, 0, tail.output())
    await sleep(1000)

    const received = sub
      .output()
      .split('\n')
      .filter((line) => line && !line.startsWith('foreign-sub:'))
    assert.deepEqual(received, ['forged-0', 'forged-1', 'forged-2', 'forged-3', 'forged-4'], sub.output())
    assert.deepEqual(plain.texts, texts)
    assert.doesNotMatch(tail.output(), /forged-/)
    const log = readFileSync(manifest.instances[0].log, 'utf8')
    assert.match(log, /DDS participant [0-9a-f]{24} \(foreign-pub\) was refused: it failed DDS Security authentication or access control/)
    assert.match(log, /DDS participant [0-9a-f]{24} \(foreign-sub\) was refused/)
    plain.terminate()
  })

  it('a participant with a valid certificate from another CA, even named chat-1, is refused the same way, both ways', async () => {
    const other = await makePki(['chat-1'], {prefix: 'chatdds-other-ca-'})
    try {
      const impostor = await startServe(['--domain', String(domain), '--dds-security', other.dir, '--name', 'chat-1'], {domain: false})
      // A failed handshake is reported by the side that checked the other's certificate: for each pair, one of the two.
      await eventually(
        () =>
          manifest.instances.every(
            ({name, log}) => /\(chat-1\) was refused/.test(readFileSync(log, 'utf8')) || new RegExp(`\\(${name}\\) was refused`).test(impostor.child.output()),
          ),
        15_000,
      )
      assert.match(impostor.child.output(), /Joined DDS domain \d+ as chat-1 \(interface 127\.0\.0\.1, DDS Security with /)
      const impostorClient = await openSocket(impostor.port)
      const clusterClient = await openSocket(port(0))
      const forged = unique('forged from another CA')
      impostorClient.send(forged)
      await eventually(() => impostorClient.texts.includes(forged)) // it went through its own DDS reader
      const genuine = unique('genuine')
      await send(port(2), genuine)
      await eventually(() => clusterClient.texts.includes(genuine))
      await sleep(1000)
      assert.deepEqual(clusterClient.texts, [genuine])
      assert.deepEqual(impostorClient.texts, [forged])
      assert.deepEqual((await getJson(impostor.port, '/readyz')).peers, [])
      assert.deepEqual(
        (await getJson(port(1), '/readyz')).peers.filter((peer) => peer === 'chat-1'),
        ['chat-1'],
        'only the genuine chat-1 is a peer',
      )
      for (const ws of [impostorClient, clusterClient]) ws.terminate()
      impostor.child.kill('SIGTERM')
      await impostor.child.exited
    } finally {
      rmSync(other.dir, {recursive: true, force: true})
    }
  })

  it('a capture of its DDS traffic on lo holds no message text, room or sender; one of an insecure cluster holds them', async () => {
    const [text, room, sender] = [unique('captured secret'), unique('room'), unique('sender')]
    const secure = await capture(dir, domain, () => send(port(1), text, ['--room', room, '--name', sender]))
    assert.ok(occurrences(secure, 'RTPS') >= 10, `the capture holds ${occurrences(secure, 'RTPS')} RTPS datagrams`)
    for (const known of [text, room, sender]) assert.equal(occurrences(secure, known), 0, `"${known}" is in the secure capture`)

    const plainDomain = domain === 219 ? 218 : domain + 1
    const plain = await startInstances(2, {domain: plainDomain, prefix: 'insecure'})
    const insecure = await capture(dir, plainDomain, () => send(plain[1].port, text, ['--room', room, '--name', sender]))
    for (const known of [text, room, sender]) assert.ok(occurrences(insecure, known) >= 1, `"${known}" is not in the insecure capture: the check could not fail`)
    for (const instance of plain) instance.child.kill('SIGTERM')
    await Promise.all(plain.map((instance) => instance.child.exited))
  })
})
