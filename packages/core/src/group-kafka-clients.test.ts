import type { JoinGroupRequest } from './broker'
import { type Harness, harness, settle } from './testing/group-kit'

jest.setTimeout(5_000)

/** What the Kafka protocol server needs of the coordinator: KIP-394's member-id handshake and opaque bytes. */
describe('GroupCoordinator for Kafka clients', () => {
  let h: Harness
  beforeEach(async () => (h = await harness()))
  afterEach(() => h.coordinator.close())

  const join = (fields: Partial<JoinGroupRequest>): JoinGroupRequest => ({
    groupId: 'g',
    memberId: '',
    clientId: 'kafka-client',
    sessionTimeoutMs: 1_000,
    rebalanceTimeoutMs: 1_000,
    protocolType: 'connect',
    protocols: [{ name: 'sessioned', subscription: { topics: [] }, metadata: Buffer.from('worker-a-config') }],
    ...fields,
  })

  it('answers a first join that asks for it with MEMBER_ID_REQUIRED and the id, which then joins', async () => {
    const first = await h.coordinator.joinGroup(join({ requireKnownMemberId: true })).catch((e) => e)
    expect(first.code).toBe('MEMBER_ID_REQUIRED')
    const memberId = first.details.memberId as string
    expect(memberId).toMatch(/^kafka-client-/)
    const joining = h.coordinator.joinGroup(join({ memberId, requireKnownMemberId: true }))
    h.clock.advance(100)
    await settle()
    const joined = await joining
    expect(joined.memberId).toBe(memberId)
    expect(joined.leaderId).toBe(memberId)
  })

  it('forgets a handed-out member id after its session timeout', async () => {
    const first = await h.coordinator.joinGroup(join({ requireKnownMemberId: true })).catch((e) => e)
    h.clock.advance(1_001)
    const late = await h.coordinator.joinGroup(join({ memberId: first.details.memberId })).catch((e) => e)
    expect(late.code).toBe('UNKNOWN_MEMBER_ID')
  })

  it('relays opaque metadata and assignment bytes untouched (a Kafka Connect group)', async () => {
    const joining = h.coordinator.joinGroup(join({}))
    h.clock.advance(100)
    await settle()
    const joined = await joining
    expect(joined.members[0]?.metadata?.toString()).toBe('worker-a-config')
    const raw = Buffer.from([0, 1, 2, 3, 254])
    const assignment = await h.coordinator.syncGroup({
      groupId: 'g',
      generationId: joined.generationId,
      memberId: joined.memberId,
      assignments: [{ memberId: joined.memberId, assignment: { assignment: {}, raw } }],
    })
    expect(assignment.raw).toEqual(raw)
    const [described] = await h.coordinator.describeGroups(['g'])
    expect(described?.protocolType).toBe('connect')
    expect(described?.members[0]?.metadata?.toString()).toBe('worker-a-config')
    expect(described?.members[0]?.assignment?.raw).toEqual(raw)
  })
})
