/** The few Prometheus metric kinds the server exposes, rendered in the text exposition format. */

type Labels = Record<string, string>

const labelKey = (labels: Labels) =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k].replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`)
    .join(',')

abstract class Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
  ) {}
  abstract lines(): string[]
  render(): string {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`, ...this.lines()].join('\n')
  }
}

export class Counter extends Metric {
  private readonly values = new Map<string, number>()
  constructor(name: string, help: string, initial: Labels[] = [{}]) {
    super(name, help, 'counter')
    for (const labels of initial) this.values.set(labelKey(labels), 0)
  }
  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels)
    this.values.set(key, (this.values.get(key) ?? 0) + by)
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels)) ?? 0
  }
  lines(): string[] {
    return [...this.values].map(([key, value]) => `${this.name}${key ? `{${key}}` : ''} ${value}`)
  }
}

/** A gauge (or a counter kept elsewhere) whose values are read when the metrics are scraped. */
export class Sampled extends Metric {
  constructor(
    name: string,
    help: string,
    type: 'gauge' | 'counter',
    private readonly read: () => Array<[Labels, number]>,
  ) {
    super(name, help, type)
  }
  lines(): string[] {
    return this.read().map(([labels, value]) => {
      const key = labelKey(labels)
      return `${this.name}${key ? `{${key}}` : ''} ${value}`
    })
  }
}

export class Histogram extends Metric {
  private readonly counts: number[]
  private sum = 0
  private count = 0
  constructor(
    name: string,
    help: string,
    readonly buckets: number[],
  ) {
    super(name, help, 'histogram')
    this.counts = buckets.map(() => 0)
  }
  observe(value: number): void {
    this.sum += value
    this.count++
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]) this.counts[i]++
  }
  lines(): string[] {
    return [
      ...this.buckets.map((le, i) => `${this.name}_bucket{le="${le}"} ${this.counts[i]}`),
      `${this.name}_bucket{le="+Inf"} ${this.count}`,
      `${this.name}_sum ${this.sum}`,
      `${this.name}_count ${this.count}`,
    ]
  }
}

export class Registry {
  private readonly metrics: Metric[] = []
  add<M extends Metric>(metric: M): M {
    this.metrics.push(metric)
    return metric
  }
  render(): string {
    return this.metrics.map((m) => m.render()).join('\n') + '\n'
  }
}
