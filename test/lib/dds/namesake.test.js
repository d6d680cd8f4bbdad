// Participant.findNamesake: the discovery check behind unique instance names.
import assert from 'node:assert/strict'
import {Participant} from '../../../dist/lib/dds/index.js'
import {randomDomain} from '../../helpers.js'

describe('Participant.findNamesake', function () {
  this.timeout(20_000)
  const opened = []
  const open = (options) => {
    const participant = new Participant(options)
    opened.push(participant)
    return participant
  }
  afterEach(() => {
    for (const participant of opened.splice(0)) participant.close()
  })

  it('finds a live participant of the same name, with its GUID prefix', async () => {
    const domain = randomDomain()
    const first = open({domain, name: 'twin'})
    open({domain, name: 'someone-else'})
    const second = open({domain, name: 'twin'})
    const namesake = await second.findNamesake(10_000)
    assert.deepEqual(namesake, {kind: 'joined', guidPrefix: first.guidPrefix, name: 'twin'})
    // Known now: answered at once.
    assert.deepEqual(await second.findNamesake(0), namesake)
  })

  it('resolves undefined after the window when the name is free, and at once when the participant closes', async () => {
    const domain = randomDomain()
    open({domain, name: 'other'})
    const alone = open({domain, name: 'unique'})
    assert.equal(alone.config.announcementPeriod, 0.5)
    assert.equal(await alone.findNamesake(), undefined)
    assert.deepEqual([...alone.participants.values()], ['other'])
    const closing = open({domain, name: 'closing'})
    const pending = closing.findNamesake(60_000)
    closing.close()
    assert.equal(await pending, undefined)
  })

  it('refuses an interface this host does not have before Fast DDS sees it', () => {
    assert.throws(() => new Participant({config: {interface: '10.99.99.99'}}), {
      code: 'EADDRNOTAVAIL',
      message: /^DDS interface 10\.99\.99\.99 is not an address of this host/,
    })
  })
})
