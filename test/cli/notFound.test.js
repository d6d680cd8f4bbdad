import assert from 'node:assert/strict'
import {runCli} from '../helpers.js'
import {unwrap} from '../commands/serveSupport.js'

describe('unknown commands, -h, -v and version', () => {
  // Not through npx (the tests themselves may be).
  const installed = {env: {npm_command: 'run-script'}}

  it('suggests the closest command with spaces, and exits 2 (bad usage)', async () => {
    const sned = await runCli(['sned'], installed)
    assert.equal(sned.code, 2)
    assert.match(unwrap(sned.stderr), /sned is not a chatdds command\. Did you mean `chatdds send`\? Run `chatdds help` for the list\./)
    const stat = await runCli(['cluster', 'stat'], installed)
    assert.equal(stat.code, 2)
    assert.match(unwrap(stat.stderr), /cluster stat is not a chatdds command\. Did you mean `chatdds cluster status`\?/)
    const far = await runCli(['frobnicate'], installed)
    assert.equal(far.code, 2)
    assert.doesNotMatch(far.stderr, /Did you mean/)
  })

  it('says the npx way to run a suggestion when started through npx', async () => {
    const sned = await runCli(['sned'], {env: {npm_command: 'exec'}})
    assert.match(unwrap(sned.stderr), /Did you mean `npx chatdds send`\? Run `npx chatdds help` for the list\./)
  })

  it('takes -h for help, and -v and version for the version', async () => {
    const help = await runCli(['send', '-h'])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /^Send a message and wait until it came back through the cluster\./)
    for (const args of [['-v'], ['version']]) {
      const version = await runCli(args)
      assert.equal(version.code, 0, version.stderr)
      assert.match(version.stdout, /^chatdds\/0\.1\.0 /)
    }
  })
})
