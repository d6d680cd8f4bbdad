// What `chatdds chat` makes of a typed line: a message, a slash command, or a sentence saying what to type instead.
import assert from 'node:assert/strict'

import {parseChatInput} from '../../../dist/lib/client/chat.js'

describe('chat input', () => {
  it('a line is a message, kept exactly (spaces included); a blank line is nothing', () => {
    assert.deepEqual(parseChatInput('  hello  there '), {kind: 'send', text: '  hello  there '})
    assert.deepEqual(parseChatInput('   '), {kind: 'nothing'})
    assert.deepEqual(parseChatInput(''), {kind: 'nothing'})
  })

  it('// sends a text that starts with /', () => {
    assert.deepEqual(parseChatInput('//join is a command'), {kind: 'send', text: '/join is a command'})
  })

  it('commands, with rooms named with or without their #', () => {
    assert.deepEqual(parseChatInput('/join random'), {kind: 'join', room: 'random'})
    assert.deepEqual(parseChatInput('/JOIN #random'), {kind: 'join', room: 'random'})
    assert.deepEqual(parseChatInput('/leave'), {kind: 'leave'})
    assert.deepEqual(parseChatInput('/leave general'), {kind: 'leave', room: 'general'})
    assert.deepEqual(parseChatInput('/room random'), {kind: 'room', room: 'random'})
    assert.deepEqual(parseChatInput('/who'), {kind: 'who'})
    assert.deepEqual(parseChatInput(' /who'), {kind: 'send', text: ' /who'})
    assert.deepEqual(parseChatInput('/help'), {kind: 'help'})
    assert.deepEqual(parseChatInput('/quit'), {kind: 'quit'})
    assert.deepEqual(parseChatInput('/exit'), {kind: 'quit'})
  })

  it('a mistake is one sentence saying what to type', () => {
    assert.deepEqual(parseChatInput('/jion random'), {
      kind: 'bad',
      message: 'There is no command /jion; /help lists them (start a line with // to send a leading /).',
    })
    assert.deepEqual(parseChatInput('/join'), {kind: 'bad', message: '/join needs a room, e.g. /join random.'})
    assert.deepEqual(parseChatInput('/room #'), {kind: 'bad', message: '/room needs a room, e.g. /room random.'})
    assert.deepEqual(parseChatInput('/join a b'), {kind: 'bad', message: '/join takes one room; room names have no spaces.'})
    assert.deepEqual(parseChatInput(`/join ${'x'.repeat(129)}`), {kind: 'bad', message: 'Room names are 1 to 128 characters (got 129).'})
  })
})
