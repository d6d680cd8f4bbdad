import assert from 'node:assert/strict'
import {printable} from '../../dist/lib/ui.js'

describe("printable (what tail, spy and chat show of other people's text)", () => {
  it('escapes control characters and bidirectional overrides, and leaves the rest alone', () => {
    assert.equal(printable('\u001b[31mRED\u001b[0m'), '\\e[31mRED\\e[0m')
    assert.equal(printable('a\nb\r\tc\u0007\u0000\u007f\u009b'), 'a\\nb\\r\\tc\\x07\\x00\\x7f\\x9b')
    assert.equal(printable('abc \u202e \u2066'), 'abc \\u202e \\u2066')
    assert.equal(printable('héllo 👋 "quoted" \\ back'), 'héllo 👋 "quoted" \\ back')
  })
})
