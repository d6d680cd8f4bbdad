#!/usr/bin/env node
// What grew between two V8 heap snapshots, per connection: self size and count by (node type, constructor name),
// largest first. Usage: node bench/heap-diff.js before.heapsnapshot after.heapsnapshot <connections> [--top 30]
// (bench/memory.js --snapshots DIR writes DIR/idle.heapsnapshot and DIR/plain.heapsnapshot, --count connections apart).
import {readFileSync} from 'node:fs'
import {parseArgs} from 'node:util'

const {values, positionals} = parseArgs({allowPositionals: true, options: {top: {type: 'string', default: '30'}}})
const [before, after, count] = positionals
if (!before || !after || !(Number(count) > 0)) {
  console.error('Usage: node bench/heap-diff.js before.heapsnapshot after.heapsnapshot <connections> [--top 30]')
  process.exit(2)
}

function bySizeAndKind(file) {
  const snapshot = JSON.parse(readFileSync(file, 'utf8'))
  const {node_fields: fields, node_types: nodeTypes} = snapshot.snapshot.meta
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((field) => fields.indexOf(field))
  const totals = new Map()
  for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
    const type = nodeTypes[0][snapshot.nodes[i + typeAt]]
    // Strings and code are counted as kinds; their names are their contents.
    const name = type.endsWith('string') ? '(string)' : type === 'code' ? '(code)' : snapshot.strings[snapshot.nodes[i + nameAt]].slice(0, 60)
    const key = `${type} ${name}`
    const total = totals.get(key) ?? {count: 0, size: 0}
    total.count++
    total.size += snapshot.nodes[i + sizeAt]
    totals.set(key, total)
  }
  return totals
}

const [a, b] = [bySizeAndKind(before), bySizeAndKind(after)]
const rows = [...b].map(([kind, {count: n, size}]) => {
  const old = a.get(kind) ?? {count: 0, size: 0}
  return {kind, count: (n - old.count) / Number(count), bytes: (size - old.size) / Number(count)}
})
rows.sort((x, y) => y.bytes - x.bytes)
console.log(`${rows.reduce((sum, row) => sum + row.bytes, 0).toFixed(0)} bytes per connection in all`)
for (const {kind, count: n, bytes} of rows.slice(0, Number(values.top))) console.log(`${bytes.toFixed(1).padStart(8)} B ${n.toFixed(2).padStart(6)}×  ${kind}`)
