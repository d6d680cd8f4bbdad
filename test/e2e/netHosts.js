// Two hosts of our own for the fault tests and bench/faults: network namespaces joined by a veth
// pair that carries DDS (10.251.17.0/24), and a veth from this namespace to each host for the
// websocket clients (10.251.18.0/24, 10.251.19.0/24). Needs root and iproute2.
import {execFileSync} from 'node:child_process'
import {cli, eventually, randomDomain, start} from '../helpers.js'

const ip = (...args) => execFileSync('ip', args, {stdio: 'pipe'})

export function canMakeNamespaces() {
  if (process.getuid?.() !== 0) return false
  try {
    execFileSync('ip', ['-V'], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

export function twoHosts(suffix = process.pid.toString(36)) {
  const hosts = [
    {
      ns: `chatdds-pa-${suffix}`,
      dds: `pda${suffix}`,
      ddsAddress: '10.251.17.1',
      link: `pla${suffix}`,
      root: `pra${suffix}`,
      rootAddress: '10.251.18.1',
      host: '10.251.18.2',
      name: 'west',
    },
    {
      ns: `chatdds-pb-${suffix}`,
      dds: `pdb${suffix}`,
      ddsAddress: '10.251.17.2',
      link: `plb${suffix}`,
      root: `prb${suffix}`,
      rootAddress: '10.251.19.1',
      host: '10.251.19.2',
      name: 'east',
    },
  ]
  const remove = () => {
    for (const host of hosts) {
      try {
        ip('netns', 'del', host.ns) // also removes its veth ends, and so the pairs
      } catch {
        // already gone (a test that failed half-way, or a second removal)
      }
    }
  }
  return {
    hosts,
    create() {
      try {
        for (const host of hosts) ip('netns', 'add', host.ns)
        ip('link', 'add', hosts[0].dds, 'type', 'veth', 'peer', 'name', hosts[1].dds)
        for (const host of hosts) {
          ip('link', 'set', host.dds, 'netns', host.ns)
          ip('-n', host.ns, 'addr', 'add', `${host.ddsAddress}/24`, 'dev', host.dds)
          ip('-n', host.ns, 'link', 'set', host.dds, 'up')
          ip('-n', host.ns, 'link', 'set', 'lo', 'up')
          ip('link', 'add', host.root, 'type', 'veth', 'peer', 'name', host.link)
          ip('link', 'set', host.link, 'netns', host.ns)
          ip('addr', 'add', `${host.rootAddress}/24`, 'dev', host.root)
          ip('link', 'set', host.root, 'up')
          ip('-n', host.ns, 'addr', 'add', `${host.host}/24`, 'dev', host.link)
          ip('-n', host.ns, 'link', 'set', host.link, 'up')
        }
      } catch (error) {
        remove()
        throw error
      }
    },
    remove,
    /** `chatdds serve` in each host, DDS on the shared link only, websockets on the test's link; once both are ready. */
    async startInstances(extra = []) {
      const domain = randomDomain()
      const instances = hosts.map((host, i) => {
        const other = hosts[1 - i]
        const args = [
          'serve',
          '--port',
          '7000',
          '--host',
          host.host,
          '--name',
          host.name,
          '--domain',
          String(domain),
          '--interface',
          host.ddsAddress,
          '--peer',
          other.ddsAddress,
          ...extra,
        ]
        const child = start('ip', ['netns', 'exec', host.ns, process.execPath, cli, ...args])
        return {child, host: host.host, port: 7000, name: host.name}
      })
      for (const instance of instances) {
        await eventually(async () => {
          if (instance.child.exitCode !== null) throw new Error(`${instance.name} exited:\n${instance.child.output()}`)
          const status = await (await fetch(`http://${instance.host}:7000/readyz`)).json()
          return status.ready && status.peers.length === 1
        }, 30_000).catch((error) => {
          throw new Error(`${instance.name} never became ready: ${error.message}\n${instance.child.output()}`)
        })
      }
      return instances
    },
    /** A partition: the DDS link of the first host down for the fault's length. */
    partition() {
      const [west] = hosts
      return {start: () => ip('-n', west.ns, 'link', 'set', west.dds, 'down'), end: () => ip('-n', west.ns, 'link', 'set', west.dds, 'up')}
    },
  }
}
