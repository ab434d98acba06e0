import { LocalBroker } from '../local-broker'
import { MemoryStorage } from '../memory-storage'
import { makeBatch, makeRecords } from '../testing'
import { resolveAcl } from './acl'
import { authorizeCall, guardBroker, restrictArgs } from './acl-calls'

const acl = resolveAcl(
  [
    { principal: 'User:alice', operations: ['produce', 'fetch', 'describe', 'group'], resourcePrefix: 'app.' },
    { principal: 'admin', operations: '*' },
  ],
  'acl',
)

describe('the ACL of Broker calls', () => {
  let broker: LocalBroker
  beforeEach(async () => {
    broker = await LocalBroker.open({ storage: new MemoryStorage(), autoCreateTopics: true })
    await broker.createTopics([{ topic: 'app.a' }, { topic: 'secret' }])
  })
  afterEach(() => broker.close())

  test('a refused call rejects with the Kafka error and changes nothing', async () => {
    const alice = guardBroker(broker, acl, 'alice')
    const batch = makeBatch(makeRecords('x', 1))
    await expect(alice.produce({ acks: 1, timeoutMs: 1000, partitions: [{ topic: 'secret', partition: 0, batch }] })).rejects.toMatchObject(
      {
        code: 'TOPIC_AUTHORIZATION_FAILED',
      },
    )
    await expect(alice.deleteTopics(['secret'])).rejects.toMatchObject({ code: 'TOPIC_AUTHORIZATION_FAILED' })
    await expect(alice.deleteGroups(['other'])).rejects.toMatchObject({ code: 'GROUP_AUTHORIZATION_FAILED' })
    expect(() => authorizeCall(acl, 'alice', 'unregisterBroker', [2])).toThrow(
      expect.objectContaining({ code: 'CLUSTER_AUTHORIZATION_FAILED' }),
    )
    const [high] = await broker.listOffsets([{ topic: 'secret', partition: 0, timestamp: -1 }])
    expect(high?.offset).toBe(0)
    expect((await broker.metadata()).topics.map((t) => t.name).sort()).toEqual(['app.a', 'secret'])
  })

  test('allowed calls pass, and answers list only what the principal may see', async () => {
    const alice = guardBroker(broker, acl, 'alice')
    const batch = makeBatch(makeRecords('x', 1))
    const [r] = await alice.produce({ acks: 1, timeoutMs: 1000, partitions: [{ topic: 'app.a', partition: 0, batch }] })
    expect(r?.error).toBeUndefined()
    expect((await alice.metadata()).topics.map((t) => t.name)).toEqual(['app.a'])
    expect(guardBroker(broker, undefined, 'alice')).toBe(broker)
    expect(alice.nodeId).toBe(broker.nodeId)
  })

  test('a topic is created on first use only by a principal that may create it', async () => {
    expect(restrictArgs(acl, 'alice', 'metadata', [{ topics: ['app.new'], allowAutoTopicCreation: true }])).toEqual([
      { topics: ['app.new'], allowAutoTopicCreation: false },
    ])
    await expect(guardBroker(broker, acl, 'alice').metadata({ topics: ['app.new'], allowAutoTopicCreation: true })).rejects.toMatchObject({
      code: 'UNKNOWN_TOPIC_OR_PARTITION',
    })
    await guardBroker(broker, acl, 'admin').metadata({ topics: ['app.new'], allowAutoTopicCreation: true })
    expect((await broker.metadata()).topics.map((t) => t.name)).toContain('app.new')
  })
})
