/** Maps OpenDDS-style single-dash options onto chatdds's long flags (`-DCPSConfigFile f` → `--dds-config f`). */
export function normalizeArgv(argv: string[]): string[] {
  return argv.map((arg) => {
    if (arg === '-DCPSConfigFile') return '--dds-config'
    if (arg.startsWith('-DCPSConfigFile=')) return '--dds-config=' + arg.slice('-DCPSConfigFile='.length)
    return arg
  })
}
