import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/baseCommand.js'
import {ddsFlags, secondsFlag} from '../cli/flags.js'
import {clusterDdsOptions} from '../lib/cluster/index.js'
import {resolveDdsSettings} from '../lib/dds/settings.js'
import {startSpy, type SpiedSample} from '../lib/spy.js'
import {clock, color, printable} from '../lib/ui.js'

export default class Spy extends BaseCommand {
  static summary = 'Join the DDS domain directly and print every "User Messages" sample, with where it came from.'

  static description = `Spy is a plain DDS reader (RELIABLE, VOLATILE), like the reference servers' reader: it sees what \
every chatdds instance and every other DDS program on the domain writes, whether or not any websocket client is connected. \
(chatdds instances send each other their messages in batches on "chatdds Messages"; while a reader that is not an instance, \
such as spy, is matched they also write each message to "User Messages", one sample each, which is what spy shows.)

Each line shows the local receive time, the writing participant (its name, or its GUID prefix when discovery has not named \
it), and the room, sender and text of a chatdds envelope or the raw text of a plain message. --json prints one JSON object \
per line (NDJSON) with the raw "message" string among its fields. --participants also prints participants joining (+) and \
leaving (-) the domain.

Exits 0 after --count samples; with --timeout, exits 1 if fewer than --count arrived (0 when no --count was given).

--dir joins the DDS domain of the cluster \`cluster up\` started there, with its rtps.ini and, for a \`cluster up --secure\`, \
its PKI and the identity it issued for tools. --dds-security DIR joins any secure cluster, as identity --name (default spy) \
of the PKI in DIR; with DDS Security on, --participants lists only authenticated participants, and those refused (!).`

  static examples = [
    {description: 'Watch domain 10 (the default)', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Who is in the domain, and what they write', command: '<%= config.bin %> <%= command.id %> --participants'},
    {description: 'Wait for one message for at most 10 s, as NDJSON', command: '<%= config.bin %> <%= command.id %> --count 1 --timeout 10 --json'},
    {description: 'With the reference OpenDDS config file', command: '<%= config.bin %> <%= command.id %> -DCPSConfigFile rtps.ini'},
    {description: 'The cluster started by `cluster up --secure` in .chatdds/cluster', command: '<%= config.bin %> <%= command.id %> --dir .chatdds/cluster'},
  ]

  static flags = {
    ...ddsFlags,
    count: Flags.integer({char: 'c', description: 'Exit 0 after this many samples.', min: 1}),
    timeout: secondsFlag({char: 't', description: 'Give up after this many seconds, decimals allowed (exit 1 if --count samples have not arrived).'}),
    participants: Flags.boolean({description: 'Also print participants joining and leaving the domain.'}),
    // Streaming output: one JSON object per line, not oclif's single JSON document at the end.
    json: Flags.boolean({description: 'Print one JSON object per line (NDJSON).'}),
    dir: Flags.string({description: 'Run directory of a cluster started by `cluster up`: join its domain with its rtps.ini (and PKI, when secure).'}),
    name: Flags.string({description: 'Identity of the --dds-security PKI to join with [default: spy].', dependsOn: ['dds-security']}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Spy)
    const print = (line: string) => process.stdout.write(line + '\n')
    const cluster = flags.dir === undefined ? undefined : clusterDdsOptions(flags.dir)
    const ddsSecurity = flags['dds-security'] ?? cluster?.ddsSecurity
    const {domain, config} = resolveDdsSettings({
      domain: flags.domain ?? cluster?.domain,
      ddsConfig: flags['dds-config'] ?? cluster?.ddsConfig,
      interface: flags.interface,
      peers: flags.peer,
      onWarning: (line) => this.logToStderr(`warning: ${line}`),
      security:
        ddsSecurity === undefined
          ? undefined
          : {dir: ddsSecurity, name: flags.name ?? (flags['dds-security'] ? undefined : cluster?.identity) ?? 'spy', flag: '--name'},
    })
    const spy = startSpy({
      domain,
      config,
      count: flags.count,
      timeout: flags.timeout,
      onSample: (sample) => print(flags.json ? JSON.stringify(sampleJson(sample)) : sampleLine(sample)),
      onParticipant: flags.participants
        ? (event) =>
            print(
              flags.json
                ? JSON.stringify({event: 'participant', status: event.kind, name: event.name, guidPrefix: event.guidPrefix, time: new Date(event.at).toISOString()})
                : `${clock(event.at)} ${event.kind === 'joined' ? color.green('+') : color.red('-')} participant ${color.bold(printable(event.name) || '(unnamed)')} ${color.dim(event.guidPrefix)} ${event.kind}`,
            )
        : undefined,
      onRefused: flags.participants
        ? (event) =>
            print(
              flags.json
                ? JSON.stringify({event: 'participant', status: 'refused', name: event.name, guidPrefix: event.guidPrefix, time: new Date(event.at).toISOString()})
                : `${clock(event.at)} ${color.red('!')} participant ${color.bold(event.name || '(unnamed)')} ${color.dim(event.guidPrefix)} refused by DDS Security`,
            )
        : undefined,
    })
    if (!flags.json) this.logToStderr(color.dim(`spying on "User Messages" in DDS domain ${domain}; Ctrl-C to stop`))
    this.stopSignal().addEventListener('abort', () => spy.close())
    await spy.done
  }
}

function sampleJson(sample: SpiedSample) {
  const {decoded} = sample
  return {
    time: new Date(sample.receivedAt).toISOString(),
    id: sample.id,
    writer: sample.writer,
    seq: sample.seq,
    participant: sample.participant,
    sourceTimestamp: sample.sourceTimestamp,
    message: sample.message,
    envelope: decoded.envelope,
    room: decoded.room,
    from: decoded.from,
    text: decoded.text,
    origin: decoded.origin,
  }
}

function sampleLine(sample: SpiedSample): string {
  const source = color.cyan(printable(sample.participant || sample.writer.slice(0, 24)))
  const {decoded} = sample
  const body = decoded.envelope
    ? `${color.magenta('#' + printable(decoded.room))} ${color.bold(decoded.from === null ? '-' : printable(decoded.from))}: ${printable(decoded.text)}`
    : `${color.dim('(plain)')} ${printable(decoded.text)}`
  return `${clock(sample.receivedAt)} ${source} ${body}`
}
