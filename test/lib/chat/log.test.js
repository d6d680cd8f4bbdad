import assert from 'node:assert/strict'
import {createLogger, MessageLog} from '../../../dist/lib/chat/log.js'

describe('chat log', () => {
  it('writes lines of the level and above, with a prefix for warnings and errors', () => {
    const lines = []
    const logger = createLogger('warn', (line) => lines.push(line))
    logger.debug('d')
    logger.info('i')
    logger.warn('w')
    logger.error('e')
    assert.deepEqual(lines, ['warning: w', 'error: e'])
    assert.equal(logger.enabled('info'), false)
  })

  it('caps per-message lines at info level and says how many it left out', () => {
    const lines = []
    let now = 0
    const log = new MessageLog(
      createLogger('info', (line) => lines.push(line)),
      3,
      () => now,
    )
    for (let i = 0; i < 10; i++) if (log.wants()) log.line(`m${i}`)
    now = 1000
    if (log.wants()) log.line('next')
    assert.deepEqual(lines, ['m0', 'm1', 'm2', '… 7 more message lines not shown (--log-level debug shows every one)', 'next'])
    log.flush()
  })

  it('writes every per-message line at debug level and none under --quiet', () => {
    const debugLines = []
    const debug = new MessageLog(
      createLogger('debug', (line) => debugLines.push(line)),
      3,
      () => 0,
    )
    for (let i = 0; i < 10; i++) if (debug.wants()) debug.line(`m${i}`)
    assert.equal(debugLines.length, 10)
    const quiet = new MessageLog(
      createLogger('warn', () => assert.fail('wrote a line')),
      3,
    )
    assert.equal(quiet.wants(), false)
  })
})
