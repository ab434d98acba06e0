import { encodeSubscription } from './consumer-protocol'
import { requestsOf, useHarness } from './test-kit'

/*
 * Group calls against scripted coordinators: KIP-394's member id round trip, coordinator moves,
 * waits that do not hold heartbeats back, and error codes.
 */

const { cluster, client } = useHarness()

describe('KafkaBroker groups', () => {
  const subscription = encodeSubscription({ topics: ['t'] })
  const join = {
    groupId: 'g',
    memberId: '',
    clientId: 'c',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', subscription: { topics: ['t'] } }],
  }

  test('a first join answered MEMBER_ID_REQUIRED joins again with the id the coordinator gave', async () => {
    const c = await cluster(1, (req, broker) => {
      if (req.apiKey === 10)
        return {
          errorCode: 0,
          nodeId: 1,
          host: broker.host,
          port: broker.port,
          coordinators: [{ key: 'g', nodeId: 1, host: broker.host, port: broker.port, errorCode: 0, errorMessage: null }],
        }
      if (req.apiKey !== 11) return undefined
      if (req.body.memberId === '')
        return { errorCode: 79, memberId: 'member-1', generationId: -1, protocolName: null, leader: '', members: [] }
      return {
        errorCode: 0,
        generationId: 3,
        protocolType: 'consumer',
        protocolName: 'range',
        leader: 'member-1',
        memberId: 'member-1',
        members: [{ memberId: 'member-1', groupInstanceId: null, metadata: subscription }],
      }
    })
    const b = client(c)
    const joined = await b.joinGroup(join)
    expect(joined).toMatchObject({ generationId: 3, memberId: 'member-1', leaderId: 'member-1', protocolName: 'range' })
    expect(joined.members[0]?.subscription.topics).toEqual(['t'])
    const joins = c.brokers[0]?.requests.filter((r) => r.apiKey === 11) ?? []
    expect(joins.map((r) => (r.apiKey === 11 ? r.body.memberId : null))).toEqual(['', 'member-1'])
  })

  test('NOT_COORDINATOR finds the coordinator again and retries there', async () => {
    let coordinator = 1
    const c = await cluster(2, (req, broker) => {
      const at = c.brokers[coordinator - 1] as typeof broker
      if (req.apiKey === 10)
        return {
          errorCode: 0,
          nodeId: coordinator,
          host: at.host,
          port: at.port,
          coordinators: [{ key: 'g', nodeId: coordinator, host: at.host, port: at.port, errorCode: 0, errorMessage: null }],
        }
      if (req.apiKey === 12) return { errorCode: broker.nodeId === coordinator ? 0 : 16 }
      return undefined
    })
    const b = client(c, { retry: { initialRetryTimeMs: 1, maxRetryTimeMs: 5 } })
    await b.heartbeat({ groupId: 'g', generationId: 1, memberId: 'm' })
    coordinator = 2
    await b.heartbeat({ groupId: 'g', generationId: 1, memberId: 'm' })
    expect(c.brokers.map((x) => requestsOf(x).filter((k) => k === 12).length)).toEqual([2, 1])
  })

  test("a heartbeat is answered while another member's JoinGroup waits at the coordinator", async () => {
    const c = await cluster(1, (req, broker) => {
      if (req.apiKey === 10)
        return {
          errorCode: 0,
          nodeId: 1,
          host: broker.host,
          port: broker.port,
          coordinators: [{ key: 'g', nodeId: 1, host: broker.host, port: broker.port, errorCode: 0, errorMessage: null }],
        }
      if (req.apiKey === 11) return 'silent'
      if (req.apiKey === 12) return { errorCode: 0 }
      return undefined
    })
    const b = client(c)
    void b.joinGroup({ ...join, memberId: 'x' }).catch(() => undefined)
    await new Promise((r) => setTimeout(r, 50))
    await expect(b.heartbeat({ groupId: 'g', generationId: 1, memberId: 'm' })).resolves.toBeUndefined()
  })

  test('group errors arrive as the TributaryErrors the embedded coordinator throws', async () => {
    const c = await cluster(1, (req, broker) => {
      if (req.apiKey === 10)
        return {
          errorCode: 0,
          nodeId: 1,
          host: broker.host,
          port: broker.port,
          coordinators: [{ key: 'g', nodeId: 1, host: broker.host, port: broker.port, errorCode: 0, errorMessage: null }],
        }
      if (req.apiKey === 12) return { errorCode: 27 }
      if (req.apiKey === 8) return { topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 22 }] }] }
      return undefined
    })
    c.leaders.t = [1]
    const b = client(c)
    await expect(b.heartbeat({ groupId: 'g', generationId: 1, memberId: 'm' })).rejects.toMatchObject({ code: 'REBALANCE_IN_PROGRESS' })
    await expect(
      b.commitOffsets({ groupId: 'g', generationId: 1, memberId: 'm', offsets: [{ topic: 't', partition: 0, offset: 1 }] }),
    ).rejects.toMatchObject({ code: 'ILLEGAL_GENERATION' })
    await expect(b.heartbeat({ groupId: '', generationId: 1, memberId: 'm' })).rejects.toMatchObject({ code: 'INVALID_GROUP_ID' })
  })
})
