import type { KafkaRequest } from '../protocol'
import { type FakeBroker, apisOf, useHarness } from './test-kit'

/*
 * Brokers that serve only older versions (Kafka 1.x-2.x) get the shapes those versions have:
 * AlterConfigs with the topic's current overrides merged in where IncrementalAlterConfigs is
 * missing, explicit counts in CreateTopics before v4, TopicNames in DeleteTopics before v6, one
 * member per LeaveGroup before v3, OffsetFetch without groups before v8, FindCoordinator by key
 * before v4, and ListGroups without states before v4.
 */

const { cluster, client } = useHarness()

const sent = (b: FakeBroker | undefined, key: number): KafkaRequest[] => (b?.requests ?? []).filter((r) => r.apiKey === key)
const coordinatorAt = (b: FakeBroker) => ({
  errorCode: 0,
  errorMessage: null,
  nodeId: b.nodeId,
  host: b.host,
  port: b.port,
  coordinators: [],
})

test('without IncrementalAlterConfigs, alterConfigs sends AlterConfigs with the current overrides merged in', async () => {
  let overrides: Record<string, string> = { 'retention.ms': '1000', 'cleanup.policy': 'compact' }
  const c = await cluster(1, (req) => {
    if (req.apiKey === 32)
      return {
        results: [
          {
            errorCode: 0,
            errorMessage: null,
            resourceType: 2,
            resourceName: 't',
            configs: ['retention.ms', 'cleanup.policy', 'segment.bytes'].map((name) => ({
              name,
              value: overrides[name] ?? 'default',
              readOnly: false,
              configSource: name in overrides ? 1 : 5,
              isSensitive: false,
              synonyms: [],
            })),
          },
        ],
      }
    if (req.apiKey === 33) {
      overrides = Object.fromEntries(req.body.resources[0]?.configs.map((x) => [x.name, x.value as string]) ?? [])
      return { responses: [{ errorCode: 0, errorMessage: null, resourceType: 2, resourceName: 't' }] }
    }
    return undefined
  })
  c.apiVersions = apisOf().filter((a) => a.apiKey !== 44)
  const b = client(c)
  await b.alterConfigs('t', [
    { name: 'retention.ms', value: null },
    { name: 'segment.bytes', value: '2048' },
  ])
  const [alter] = sent(c.brokers[0], 33)
  if (alter?.apiKey !== 33) throw new Error('no AlterConfigs')
  expect(alter.body.resources[0]?.configs).toEqual([
    { name: 'cleanup.policy', value: 'compact' },
    { name: 'segment.bytes', value: '2048' },
  ])
})

test('CreateTopics before v4 gets explicit counts; DeleteTopics before v6 names topics in TopicNames', async () => {
  const c = await cluster(1, (req) => {
    if (req.apiKey === 19) {
      c.leaders.t = [1]
      return { topics: req.body.topics.map((t) => ({ name: t.name, errorCode: 0, errorMessage: null })) }
    }
    if (req.apiKey === 20) {
      delete c.leaders.t
      return { responses: req.body.topicNames.map((name) => ({ name, errorCode: 0 })) }
    }
    return undefined
  })
  c.apiVersions = apisOf({ 19: 3, 20: 5 })
  const b = client(c)
  expect(await b.createTopics([{ topic: 't' }])).toEqual([{ topic: 't', created: true }])
  const [create] = sent(c.brokers[0], 19)
  if (create?.apiKey !== 19) throw new Error('no CreateTopics')
  expect(create.apiVersion).toBe(3)
  expect(create.body.topics[0]).toMatchObject({ name: 't', numPartitions: 1, replicationFactor: 1 })
  await b.deleteTopics(['t'])
  const [del] = sent(c.brokers[0], 20)
  if (del?.apiKey !== 20) throw new Error('no DeleteTopics')
  expect([del.apiVersion, del.body.topicNames]).toEqual([5, ['t']])
})

test('groups on an older coordinator: FindCoordinator by key, one member per LeaveGroup, OffsetFetch without groups, ListGroups states from DescribeGroups', async () => {
  const c = await cluster(1, (req, broker) => {
    if (req.apiKey === 10) return coordinatorAt(broker)
    if (req.apiKey === 13) return { errorCode: 0, members: [] }
    if (req.apiKey === 9)
      return {
        topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 7, metadata: 'm', errorCode: 0 }] }],
        errorCode: 0,
      }
    if (req.apiKey === 16) return { errorCode: 0, groups: [{ groupId: 'g', protocolType: 'consumer' }] }
    if (req.apiKey === 15)
      return {
        groups: req.body.groups.map((groupId) => ({
          errorCode: 0,
          groupId,
          groupState: 'AwaitingSync',
          protocolType: 'consumer',
          protocolData: 'range',
          members: [],
        })),
      }
    return undefined
  })
  c.apiVersions = apisOf({ 9: 5, 10: 2, 13: 2, 15: 2, 16: 2 })
  c.leaders.t = [1]
  const b = client(c)
  await b.leaveGroup({ groupId: 'g', members: [{ memberId: 'a' }, { memberId: 'b' }] })
  expect(sent(c.brokers[0], 13).map((r) => (r.apiKey === 13 ? r.body.memberId : ''))).toEqual(['a', 'b'])
  expect(await b.fetchOffsets('g', [{ topic: 't', partition: 0 }])).toEqual([{ topic: 't', partition: 0, offset: 7, metadata: 'm' }])
  expect(await b.listGroups()).toEqual([{ groupId: 'g', protocolType: 'consumer', state: 'CompletingRebalance' }])
  const [find] = sent(c.brokers[0], 10)
  if (find?.apiKey !== 10) throw new Error('no FindCoordinator')
  expect([find.apiVersion, find.body.key]).toEqual([2, 'g'])
})
