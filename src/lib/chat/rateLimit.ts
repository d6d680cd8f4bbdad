/** Token bucket: `ratePerSecond` tokens added per second up to `burst`. */
export class TokenBucket {
  private tokens: number
  private last: number

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst
    this.last = now()
  }

  private refill(): void {
    const now = this.now()
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond)
    this.last = now
  }

  /** Takes one token if there is one. */
  tryTake(): boolean {
    this.refill()
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }

  /** Takes one token even if that leaves the bucket in debt (for frames already read that must not be lost). */
  take(): void {
    this.refill()
    this.tokens -= 1
  }

  /** True when the next take would have to wait. */
  get empty(): boolean {
    this.refill()
    return this.tokens < 1
  }

  /** Milliseconds until one whole token is available. */
  msUntilToken(): number {
    this.refill()
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000)
  }
}

/** `--rate-limit off`: no limit (Centrifugo's and AnyCable's default). */
export const UNLIMITED = Number.POSITIVE_INFINITY

/** `10000`, `10000/s` or `off`; undefined when it is none of them. */
export function parseRatePerSecond(input: string): number | undefined {
  const text = input.trim().toLowerCase()
  if (text === 'off') return UNLIMITED
  const match = /^(\d+)(?:\/s)?$/.exec(text)
  const value = match ? Number(match[1]) : Number.NaN
  return Number.isSafeInteger(value) && value >= 1 ? value : undefined
}

/** The serve flags that give `rateLimit` (cluster up forwards them to every instance). */
export function rateLimitArgs(rateLimit: {perSecond?: number; burst?: number}): string[] {
  const args: string[] = []
  if (rateLimit.perSecond !== undefined) args.push('--rate-limit', rateLimit.perSecond === UNLIMITED ? 'off' : String(rateLimit.perSecond))
  if (rateLimit.burst !== undefined) args.push('--rate-burst', String(rateLimit.burst))
  return args
}
