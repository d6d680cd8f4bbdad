// What templates/index.html puts on `window` for the console, which the browser tests read in the page.
interface Window {
  chatdds: {
    state(): {
      mode: 'plain' | 'chatdds.v1'
      url: string | null
      instance: string | undefined
      room: string
      joined: boolean
      /** writer → last sequence number shown in this room */
      cursor: Record<string, number>
      instances: Array<{name: string; url: string}>
    }
    /** Sends one raw chatdds.v1 frame. */
    send(frame: object): void
  }
}
