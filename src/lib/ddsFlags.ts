/** The DDS flags that `serve` and `spy` share. */
import {Flags} from '@oclif/core'

export const ddsFlags = {
  domain: Flags.integer({char: 'd', description: "DDS domain id [default: the --dds-config file's, else 10].", min: 0, max: 232}),
  'dds-config': Flags.string({description: 'OpenDDS rtps.ini to load (-DCPSConfigFile FILE does the same).'}),
  interface: Flags.string({description: 'IPv4 address of the interface DDS uses [default: 127.0.0.1].'}),
  peer: Flags.string({description: 'Unicast DDS discovery peer host[:port] (repeatable); 127.0.0.1 stays a peer.', multiple: true}),
}
