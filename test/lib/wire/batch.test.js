// Batches of chat messages on `chatdds Messages` (src/lib/wire/batch.ts): what one instance writes, the others read back exactly.
import assert from 'node:assert/strict'
import {batchHeader, decodeBatch, encodeBatch} from '../../../dist/lib/wire/index.js'

describe('chatdds batch', () => {
  it('writes a header and length-prefixed messages, and reads back each message, its seq and ts', () => {
    const envelope = '{"chatdds":1,"room":"r","from":"a","text":"x\\ny","ts":5,"origin":"chat-1"}'
    const sample = encodeBatch(41, [
      {message: 'hi', ts: 1764115200000},
      {message: envelope, ts: 1764115200001},
      {message: '', ts: 7},
      {message: 'ünïcödé 𝄞 12 34\n5', ts: 8},
    ])
    assert.equal(sample.slice(0, sample.indexOf('\n', 22) + 1), 'chatdds-batch 1 41 4\n1764115200000 2\n')
    assert.deepEqual(decodeBatch(sample), {
      entries: [
        {seq: 41, ts: 1764115200000, message: 'hi'},
        {seq: 42, ts: 1764115200001, message: envelope},
        {seq: 43, ts: 7, message: ''},
        {seq: 44, ts: 8, message: 'ünïcödé 𝄞 12 34\n5'},
      ],
    })
    assert.deepEqual(batchHeader(sample), {firstSeq: 41, count: 4, bodyStart: 21})
  })

  const malformed = [
    ['plain text', 'hello', 'not a chatdds batch'],
    ['another version', 'chatdds-batch 2 1 1\n0 1\nx', 'not a chatdds batch'],
    ['a header without its end', 'chatdds-batch 1 1 1', 'a batch header without its end'],
    ['a seq of 0', 'chatdds-batch 1 0 1\n0 1\nx', 'a batch header that does not read "<first seq> <count>"'],
    ['no entries', 'chatdds-batch 1 1 0\n', 'a batch header that does not read "<first seq> <count>"'],
    ['a negative count', 'chatdds-batch 1 1 -1\n', 'a batch header that does not read "<first seq> <count>"'],
    ['an unsafe seq', 'chatdds-batch 1 9007199254740991 2\n0 1\nx0 1\ny', 'a batch header that does not read "<first seq> <count>"'],
    ['too few entries', 'chatdds-batch 1 1 2\n0 5\nhello', 'entry 2 of 2 has no "<ts> <length>" line'],
    ['a length past the end', 'chatdds-batch 1 1 1\n0 99\nshort', 'entry 1 of 1 has a bad timestamp or a length past the end of the sample'],
    ['a bad timestamp', 'chatdds-batch 1 1 1\n-3 1\nx', 'entry 1 of 1 has a bad timestamp or a length past the end of the sample'],
    ['trailing text', 'chatdds-batch 1 1 1\n0 2\nhi there', '6 characters after the last of its 1 entries'],
  ]
  for (const [what, sample, error] of malformed) {
    it(`refuses ${what}, taking none of it`, () => {
      const decoded = decodeBatch(sample)
      assert.ok('error' in decoded && !('entries' in decoded), JSON.stringify(decoded))
      assert.equal(decoded.error, error)
    })
  }
})
