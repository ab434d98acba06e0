import type { OffsetCommitRequest } from '../broker'
import { type BrokerCtx, createTopic, expectRejects, joinAlone, joinRequest, retrying, uniqueName } from './broker-kit'

/** describeGroups: membership, assignment, offsets, listing and deletion, and every bad group input's code. */
export function describeGroups(ctx: BrokerCtx): void {
  describe('groups', () => {
    it('a lone member joins as leader, syncs its assignment, heartbeats, commits and fetches offsets, and leaves', async () => {
      const topic = await createTopic(ctx, 'group-life', { numPartitions: 2 })
      const groupId = uniqueName('group-life')
      const { join, assigned } = await joinAlone(ctx, groupId, [topic], { [topic]: [0, 1] })
      expect(join.generationId).toBeGreaterThanOrEqual(1)
      expect(join.leaderId).toBe(join.memberId)
      expect(join.members.map((m) => m.memberId)).toEqual([join.memberId])
      expect(join.protocolName).toBe('range')
      expect(assigned.assignment).toEqual({ [topic]: [0, 1] })
      const member = { groupId, generationId: join.generationId, memberId: join.memberId }
      await ctx.broker.heartbeat(member)
      await ctx.broker.commitOffsets({ ...member, offsets: [{ topic, partition: 1, offset: 7, metadata: 'm' }] })
      expect(await ctx.broker.fetchOffsets(groupId, [{ topic, partition: 1 }])).toEqual([{ topic, partition: 1, offset: 7, metadata: 'm' }])
      const described = (await ctx.broker.describeGroups([groupId]))[0]
      expect(described).toMatchObject({ groupId, state: 'Stable', protocolType: 'consumer', protocol: 'range' })
      expect(described?.members.map((m) => m.memberId)).toEqual([join.memberId])
      expect((await ctx.broker.listGroups()).map((g) => g.groupId)).toContain(groupId)
      await ctx.broker.leaveGroup({ groupId, members: [{ memberId: join.memberId }] })
      expect((await ctx.broker.describeGroups([groupId]))[0]?.state).toBe('Empty')
    })

    it('fetchOffsets answers -1 for a partition without a commit; admin commits (generation -1) need an empty group', async () => {
      const topic = await createTopic(ctx, 'group-admin')
      const groupId = uniqueName('group-admin')
      expect(await retrying(() => ctx.broker.fetchOffsets(groupId, [{ topic, partition: 0 }]))).toEqual([
        { topic, partition: 0, offset: -1, metadata: null },
      ])
      await retrying(() =>
        ctx.broker.commitOffsets({ groupId, generationId: -1, memberId: '', offsets: [{ topic, partition: 0, offset: 3 }] }),
      )
      expect(await ctx.broker.fetchOffsets(groupId)).toEqual([{ topic, partition: 0, offset: 3, metadata: null }])
    })

    it('bad joins: an empty group id is INVALID_GROUP_ID, a session timeout out of bounds INVALID_SESSION_TIMEOUT, no protocol INCONSISTENT_GROUP_PROTOCOL', async () => {
      const groupId = uniqueName('group-badjoin')
      await expectRejects(ctx.broker.joinGroup({ ...joinRequest('', ['t']) }), 'INVALID_GROUP_ID')
      await expectRejects(ctx.broker.joinGroup({ ...joinRequest(groupId, ['t']), sessionTimeoutMs: 1 }), 'INVALID_SESSION_TIMEOUT')
      await expectRejects(ctx.broker.joinGroup({ ...joinRequest(groupId, ['t']), sessionTimeoutMs: 1_800_001 }), 'INVALID_SESSION_TIMEOUT')
      await expectRejects(ctx.broker.joinGroup({ ...joinRequest(groupId, ['t']), protocols: [] }), 'INCONSISTENT_GROUP_PROTOCOL')
      await expectRejects(ctx.broker.joinGroup({ ...joinRequest(groupId, ['t']), memberId: 'no-such-member' }), 'UNKNOWN_MEMBER_ID')
      expect((await ctx.broker.listGroups()).map((g) => g.groupId)).not.toContain(groupId)
    })

    it('calls naming an unknown member are UNKNOWN_MEMBER_ID, an old generation ILLEGAL_GENERATION', async () => {
      const topic = await createTopic(ctx, 'group-fence')
      const groupId = uniqueName('group-fence')
      const { join } = await joinAlone(ctx, groupId, [topic], { [topic]: [0] })
      const member = { groupId, generationId: join.generationId, memberId: join.memberId }
      const stranger = { ...member, memberId: 'stranger' }
      await expectRejects(ctx.broker.heartbeat(stranger), 'UNKNOWN_MEMBER_ID')
      await expectRejects(ctx.broker.heartbeat({ ...member, generationId: join.generationId + 1 }), 'ILLEGAL_GENERATION')
      await expectRejects(ctx.broker.syncGroup({ ...stranger, assignments: [] }), 'UNKNOWN_MEMBER_ID')
      await expectRejects(ctx.broker.commitOffsets({ ...stranger, offsets: [{ topic, partition: 0, offset: 1 }] }), 'UNKNOWN_MEMBER_ID')
      await expectRejects(
        ctx.broker.commitOffsets({ ...member, generationId: join.generationId + 1, offsets: [{ topic, partition: 0, offset: 1 }] }),
        'ILLEGAL_GENERATION',
      )
      await expectRejects(ctx.broker.leaveGroup({ groupId, members: [{ memberId: 'stranger' }] }), 'UNKNOWN_MEMBER_ID')
      expect(await ctx.broker.fetchOffsets(groupId, [{ topic, partition: 0 }])).toEqual([
        { topic, partition: 0, offset: -1, metadata: null },
      ])
    })

    it('a bad commit lands none of its offsets: unknown partition UNKNOWN_TOPIC_OR_PARTITION, bad offset INVALID_ARGUMENT', async () => {
      const topic = await createTopic(ctx, 'group-badcommit')
      const groupId = uniqueName('group-badcommit')
      const admin = (offsets: OffsetCommitRequest['offsets']): OffsetCommitRequest => ({ groupId, generationId: -1, memberId: '', offsets })
      await expectRejects(
        ctx.broker.commitOffsets(
          admin([
            { topic, partition: 0, offset: 1 },
            { topic, partition: 9, offset: 1 },
          ]),
        ),
        'UNKNOWN_TOPIC_OR_PARTITION',
      )
      await expectRejects(
        ctx.broker.commitOffsets(
          admin([
            { topic, partition: 0, offset: 1 },
            { topic, partition: 0, offset: -5 },
          ]),
        ),
        'INVALID_ARGUMENT',
      )
      await expectRejects(ctx.broker.commitOffsets(admin([{ topic, partition: 0, offset: 1.5 }])), 'INVALID_ARGUMENT')
      await expectRejects(ctx.broker.commitOffsets({ ...admin([]), groupId: '' }), 'INVALID_GROUP_ID')
      expect(await retrying(() => ctx.broker.fetchOffsets(groupId, [{ topic, partition: 0 }]))).toEqual([
        { topic, partition: 0, offset: -1, metadata: null },
      ])
    })

    it('deleteGroups removes an empty group and its offsets; a group with members is NON_EMPTY_GROUP, an unknown one GROUP_ID_NOT_FOUND', async () => {
      const topic = await createTopic(ctx, 'group-delete')
      const empty = uniqueName('group-empty')
      await retrying(() =>
        ctx.broker.commitOffsets({ groupId: empty, generationId: -1, memberId: '', offsets: [{ topic, partition: 0, offset: 2 }] }),
      )
      const busy = uniqueName('group-busy')
      await joinAlone(ctx, busy, [topic], { [topic]: [0] })
      await expectRejects(ctx.broker.deleteGroups([busy]), 'NON_EMPTY_GROUP')
      await expectRejects(ctx.broker.deleteGroups([uniqueName('group-never')]), 'GROUP_ID_NOT_FOUND')
      await ctx.broker.deleteGroups([empty])
      expect(await ctx.broker.fetchOffsets(empty, [{ topic, partition: 0 }])).toEqual([{ topic, partition: 0, offset: -1, metadata: null }])
      expect((await ctx.broker.listGroups()).map((g) => g.groupId)).toContain(busy)
    })
  })
}
