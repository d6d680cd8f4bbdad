/**
 * What "ready" means for a set of instances, the one definition `cluster up`, `cluster restart` and `cluster scale`
 * wait for: every /readyz answers 200 with all N readers matched, and a probe through each instance reaches every one.
 */
import {fetchReadyz, type Readyz} from './http.js'
import {probeMesh} from './probe.js'
import {delay} from './processes.js'

export interface ReadinessTarget {
  name: string
  port: number
  url: string
}

export interface ReadinessWatch {
  signal: AbortSignal
  /** A status line for a spinner. */
  progress?: (status: string) => void
  /** What each /readyz said last (undefined: no answer), in the order of the targets. */
  readyz?: (answers: Array<Readyz | undefined>) => void
  /** True while the probe messages are under way. */
  probing?: (on: boolean) => void
}

/** Resolves once every target is ready and connected to every other; rejects when `watch.signal` aborts. */
export async function waitReady(targets: ReadinessTarget[], watch: ReadinessWatch): Promise<void> {
  await waitEveryReadyz(targets, watch)
  watch.probing?.(true)
  watch.progress?.(`probing: one message through each instance to every other`)
  for (;;) {
    try {
      await probeMesh(targets, watch.signal)
      break
    } catch (error) {
      if (watch.signal.aborted) throw error
      await delay(250)
    }
  }
  watch.probing?.(false)
  // Checked again last, so that "ready" is never said while a /readyz says otherwise.
  await waitEveryReadyz(targets, watch)
}

/** Until every /readyz answers 200 with matchedReaders >= N. */
async function waitEveryReadyz(targets: ReadinessTarget[], watch: ReadinessWatch): Promise<void> {
  const count = targets.length
  for (;;) {
    watch.signal.throwIfAborted()
    const answers = await Promise.all(targets.map((target) => fetchReadyz(target.url, 1000)))
    watch.readyz?.(answers)
    const ready = answers.filter((readyz) => readyz?.ready && readyz.matchedReaders >= count).length
    watch.progress?.(`${ready}/${count} instances ready and matched with all ${count} DDS readers`)
    if (ready === count) return
    await delay(100)
  }
}
