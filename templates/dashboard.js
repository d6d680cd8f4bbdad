// The dashboard page: polls GET /dashboard/data of every instance of the cluster, charts rates and latency (uPlot), draws the DDS links.
import {bucketDelta, histogramQuantile} from '/dashboard/histogram.js'

const POLL_MS = 1000
const POINTS = 120
/** chat-1's colour first: the graph node and the chart series of an instance share it. */
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf']
const key = new URLSearchParams(location.search).get('key')
const byName = (a, b) => a.localeCompare(b, 'en', {numeric: true})

/** name → {base (http URL), last (previous data), rates/latency series} */
const instances = new Map()
const times = []
let charts = {names: ''}

const httpBase = (wsUrl) => wsUrl.replace(/^ws(s?):/i, 'http$1:')

async function data(base) {
  const url = new URL('dashboard/data', base)
  // Instance URLs come from presence (what DDS peers say): the key goes only to this page's host.
  if (key && url.hostname === location.hostname) url.searchParams.set('key', key)
  const response = await fetch(url, {cache: 'no-store'})
  if (response.status === 401) throw Object.assign(new Error((await response.text()).trim()), {status: 401})
  if (!response.ok) throw new Error(`${url.host} answered ${response.status}`)
  return response.json()
}

function track(name, base) {
  if (!instances.has(name)) instances.set(name, {name, base, last: undefined, current: undefined, series: {in: [], out: [], p50: [], p99: []}})
  return instances.get(name)
}

function pad(series) {
  while (series.length < times.length - 1) series.unshift(null)
}

function record(instance, now) {
  const {last, series} = instance
  for (const values of Object.values(series)) pad(values)
  const same = last && now && now.uptimeSeconds >= last.uptimeSeconds
  const seconds = same ? (now.atMs - last.atMs) / 1000 : 0
  const rate = (field) => (same && seconds > 0 ? Math.max(0, now[field] - last[field]) / seconds : null)
  const window = now && (same ? bucketDelta(now.latency, last.latency) : undefined)
  const ms = (q) => {
    const seconds = window && histogramQuantile(q, window)
    return seconds === undefined || seconds === null ? null : seconds * 1000
  }
  series.in.push(rate('messagesIn'))
  series.out.push(rate('messagesOut'))
  series.p50.push(ms(0.5))
  series.p99.push(ms(0.99))
  for (const values of Object.values(series)) if (values.length > POINTS) values.splice(0, values.length - POINTS)
  instance.current = now
  if (now) instance.last = now
}

function chart(element, title, names, fields) {
  const series = [{}]
  names.forEach((name, i) => {
    for (const [field, dash] of fields)
      series.push({label: `${name} ${field}`, stroke: COLORS[i % COLORS.length], width: 2, dash: dash ? [6, 4] : undefined, spanGaps: true})
  })
  element.replaceChildren()
  return new window.uPlot({title, width: 720, height: 220, series, axes: [{}, {}], scales: {x: {time: true}}}, [[]], element)
}

function drawCharts(names) {
  const ratesEl = document.getElementById('rates')
  const latencyEl = document.getElementById('latency')
  if (charts.names !== names.join(',')) {
    charts = {
      names: names.join(','),
      rates: chart(ratesEl, 'messages/s', names, [
        ['in', false],
        ['out', true],
      ]),
      latency: chart(latencyEl, 'latency ms', names, [
        ['p50', false],
        ['p99', true],
      ]),
    }
  }
  const columns = (fields) => [times.slice(), ...names.flatMap((name) => fields.map((field) => instances.get(name).series[field].slice(-times.length)))]
  const rates = columns(['in', 'out'])
  charts.rates.setData(rates)
  charts.latency.setData(columns(['p50', 'p99']))
  ratesEl.dataset.points = String(times.length)
  ratesEl.dataset.max = String(
    Math.max(
      0,
      ...rates
        .slice(1)
        .flat()
        .filter((v) => v !== null),
    ),
  )
  latencyEl.dataset.points = String(times.length)
}

const SVG = 'http://www.w3.org/2000/svg'
function svg(tag, attributes) {
  const element = document.createElementNS(SVG, tag)
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value))
  return element
}

/** Nodes on a circle; an edge where either end lists the other among its DDS peers. */
function drawGraph(names) {
  const graph = document.getElementById('graph')
  const [cx, cy, r] = [180, 150, names.length > 1 ? 100 : 0]
  const at = new Map(
    names.map((name, i) => [
      name,
      [cx + r * Math.cos((2 * Math.PI * i) / names.length - Math.PI / 2), cy + r * Math.sin((2 * Math.PI * i) / names.length - Math.PI / 2)],
    ]),
  )
  const edges = new Set()
  for (const name of names) {
    for (const peer of instances.get(name).current?.peers ?? []) if (at.has(peer) && peer !== name) edges.add([name, peer].sort(byName).join('\n'))
  }
  graph.replaceChildren()
  for (const edge of [...edges].sort()) {
    const [a, b] = edge.split('\n')
    graph.append(svg('line', {class: 'edge', 'data-a': a, 'data-b': b, x1: at.get(a)[0], y1: at.get(a)[1], x2: at.get(b)[0], y2: at.get(b)[1]}))
  }
  names.forEach((name, i) => {
    const current = instances.get(name).current
    const node = svg('g', {class: `node ${current ? (current.ready ? 'ready' : 'not-ready') : 'down'}`, 'data-name': name})
    node.append(svg('circle', {cx: at.get(name)[0], cy: at.get(name)[1], r: 30, fill: COLORS[i % COLORS.length]}))
    const label = svg('text', {x: at.get(name)[0], y: at.get(name)[1]})
    label.textContent = name
    node.append(label)
    graph.append(node)
  })
}

function drawTable(names) {
  const body = document.querySelector('#instances tbody')
  body.replaceChildren(
    ...names.map((name) => {
      const current = instances.get(name).current
      const row = document.createElement('tr')
      row.dataset.name = name
      const cells = current
        ? [name, current.ready ? 'ready' : 'not ready', current.clients, current.rooms, current.messagesIn, current.messagesOut, current.peers.length]
        : [name, 'down', '-', '-', '-', '-', '-']
      for (const value of cells) row.append(Object.assign(document.createElement('td'), {textContent: String(value)}))
      return row
    }),
  )
}

async function tick() {
  const status = document.getElementById('status')
  const error = document.getElementById('error')
  try {
    const own = await data(location.origin + '/')
    track(own.instance, location.origin + '/')
    for (const instance of own.instances) track(instance.name, httpBase(instance.url))
    const names = [...instances.keys()].sort(byName)
    const answers = await Promise.all(names.map((name) => (name === own.instance ? own : data(instances.get(name).base).catch(() => undefined))))
    times.push(Date.now() / 1000)
    if (times.length > POINTS) times.splice(0, times.length - POINTS)
    names.forEach((name, i) => record(instances.get(name), answers[i]))
    drawCharts(names)
    drawGraph(names)
    drawTable(names)
    error.hidden = true
    status.dataset.state = 'live'
    status.textContent = `· via ${own.instance} · ${names.length} instance${names.length === 1 ? '' : 's'}`
  } catch (problem) {
    status.dataset.state = problem.status === 401 ? 'unauthorized' : 'error'
    status.textContent = '· not live'
    error.hidden = false
    error.textContent = problem.message
  }
  setTimeout(tick, POLL_MS)
}

tick()
