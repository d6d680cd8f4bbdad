// Input that the server would change or drop is refused at once, as bad usage (exit 2), with a sentence.
import assert from 'node:assert/strict'
import {runCli} from '../helpers.js'
import {unwrap} from '../commands/serveSupport.js'

describe('send and tail refuse input that would be changed or dropped (exit 2)', () => {
  /** @type {Array<[string[], string]>} */
  const cases = [
    [['send', '-p', '1', '-r', '#general', 'hi'], 'Room names have no leading #: use --room general.'],
    [['tail', '-p', '1', '-r', '#random'], 'Room names have no leading #: use --room random.'],
    [['send', '-p', '1', '-r', '', 'hi'], '--room must be 1 to 128 characters (got 0).'],
    [['send', '-p', '1', '--name', 'x'.repeat(65), 'hi'], '--name must be 1 to 64 characters (got 65); the server would call you "anonymous".'],
    [['send', '-p', '1', '   '], 'The text is only whitespace; pass the text to send in quotes.'],
  ]
  for (const [args, sentence] of cases) {
    it(`${args.slice(0, 1).concat(args.slice(3)).join(' ')} → exit 2: ${sentence}`, async () => {
      const {code, stderr} = await runCli(args)
      assert.equal(code, 2, stderr)
      assert.ok(unwrap(stderr).includes(sentence), stderr)
    })
  }
})
