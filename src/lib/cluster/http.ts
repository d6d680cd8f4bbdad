/** The HTTP endpoints of a running `chatdds serve`: /readyz and /metrics. */
import http from 'node:http'

export interface Readyz {
  /** /readyz answered 200: DDS is up, the writer matched its readers and the history hand-over is over. */
  ready: boolean
  name?: string
  matchedReaders: number
  matchedWriters: number
  peers: string[]
  /** 'pending' until the instance has its peers' history. */
  historyHandOver?: string
}

/** GET without keep-alive, so that no pooled socket keeps the process alive after use. */
export function getText(url: string, timeoutMs = 2000): Promise<{status: number; body: string}> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, {agent: false, headers: {connection: 'close'}, timeout: timeoutMs}, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (body += chunk))
      response.on('end', () => resolve({status: response.statusCode ?? 0, body}))
      response.on('error', reject)
    })
    request.on('timeout', () => request.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)))
    request.on('error', reject)
  })
}

/** The instance's /readyz (its 503 body too), or undefined while it does not answer HTTP. */
export async function fetchReadyz(baseUrl: string, timeoutMs?: number): Promise<Readyz | undefined> {
  let answer
  try {
    answer = await getText(new URL('readyz', baseUrl).href, timeoutMs)
  } catch {
    return undefined
  }
  const parsed = parseObject(answer.body) as Partial<Readyz>
  return {
    ready: answer.status === 200 && parsed.ready === true,
    name: parsed.name,
    matchedReaders: Number(parsed.matchedReaders ?? 0),
    matchedWriters: Number(parsed.matchedWriters ?? 0),
    peers: Array.isArray(parsed.peers) ? parsed.peers.map(String) : [],
    historyHandOver: typeof parsed.historyHandOver === 'string' ? parsed.historyHandOver : undefined,
  }
}

/** A JSON object, or {} for anything else (an answer that is not a chatdds /readyz is not ready). */
function parseObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

/** Prometheus text exposition → metric name (labels dropped) → sum of its samples. */
export function parsePrometheus(text: string): Map<string, number> {
  const metrics = new Map<string, number>()
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line.trim())
    if (!match) continue
    const value = Number(match[3])
    if (Number.isFinite(value)) metrics.set(match[1], (metrics.get(match[1]) ?? 0) + value)
  }
  return metrics
}

export async function fetchMetrics(baseUrl: string, timeoutMs?: number): Promise<Map<string, number> | undefined> {
  try {
    const {status, body} = await getText(new URL('metrics', baseUrl).href, timeoutMs)
    return status === 200 ? parsePrometheus(body) : undefined
  } catch {
    return undefined
  }
}
