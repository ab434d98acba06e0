import type { CreateTopicSpec } from '../broker'
import { type BrokerCtx, createTopic, expectError, expectRejects, metadataWithLeaders, retrying, uniqueName } from './broker-kit'

/** describeAdmin: metadata, topics, partitions, configs and producer ids, with every bad input's code. */
export function describeAdmin(ctx: BrokerCtx): void {
  describe('admin', () => {
    it('createTopics creates a topic that metadata then lists with its partitions, each led by a node', async () => {
      const topic = await createTopic(ctx, 'admin-create', { numPartitions: 3 })
      const meta = await metadataWithLeaders(ctx, topic)
      expect(meta.topics).toHaveLength(1)
      const [t] = meta.topics
      expect(t?.name).toBe(topic)
      expect(t?.isInternal).toBe(false)
      expect(t?.partitions.map((p) => p.partition)).toEqual([0, 1, 2])
      const nodeIds = meta.brokers.map((b) => b.nodeId)
      for (const p of t?.partitions ?? []) {
        expect(nodeIds).toContain(p.leader)
        expect(p.replicas).toContain(p.leader)
      }
      expect((await ctx.broker.metadata()).topics.map((x) => x.name)).toContain(topic)
    })

    it('createTopics of an existing name answers created: false without an error and changes nothing', async () => {
      const topic = await createTopic(ctx, 'admin-again', { numPartitions: 2 })
      const [again] = await ctx.broker.createTopics([{ topic, numPartitions: 5 }])
      expect(again).toMatchObject({ topic, created: false })
      expect(again?.error).toBeUndefined()
      const meta = await ctx.broker.metadata({ topics: [topic] })
      expect(meta.topics[0]?.partitions).toHaveLength(2)
    })

    it('validateOnly checks a topic and creates nothing', async () => {
      const topic = uniqueName('admin-validate')
      const [r] = await ctx.broker.createTopics([{ topic, numPartitions: 2 }], { validateOnly: true })
      expect(r).toMatchObject({ topic, created: true })
      await expectRejects(ctx.broker.metadata({ topics: [topic] }), 'UNKNOWN_TOPIC_OR_PARTITION')
    })

    it('each bad topic spec gets its own code in its result and creates nothing; good specs beside it are created', async () => {
      const existing = await createTopic(ctx, 'admin.collide')
      const good = uniqueName('admin-good')
      const bad: Array<[CreateTopicSpec, string]> = [
        [{ topic: '' }, 'INVALID_TOPIC_EXCEPTION'],
        [{ topic: '..' }, 'INVALID_TOPIC_EXCEPTION'],
        [{ topic: 'has space' }, 'INVALID_TOPIC_EXCEPTION'],
        [{ topic: 'x'.repeat(250) }, 'INVALID_TOPIC_EXCEPTION'],
        [{ topic: '__consumer_offsets' }, 'INVALID_TOPIC_EXCEPTION'],
        [{ topic: existing.replaceAll('.', '_') }, 'INVALID_TOPIC_EXCEPTION'],
        [{ topic: uniqueName('admin-p0'), numPartitions: 0 }, 'INVALID_PARTITIONS'],
        [{ topic: uniqueName('admin-pfrac'), numPartitions: 1.5 }, 'INVALID_PARTITIONS'],
        [{ topic: uniqueName('admin-pneg'), numPartitions: -2 }, 'INVALID_PARTITIONS'],
        [{ topic: uniqueName('admin-rf0'), replicationFactor: 0 }, 'INVALID_REPLICATION_FACTOR'],
        [{ topic: uniqueName('admin-rfbig'), replicationFactor: ctx.nodes + 1 }, 'INVALID_REPLICATION_FACTOR'],
        [{ topic: uniqueName('admin-cfgname'), configEntries: [{ name: 'no.such.config', value: '1' }] }, 'INVALID_CONFIG'],
        [{ topic: uniqueName('admin-cfgval'), configEntries: [{ name: 'retention.ms', value: 'soon' }] }, 'INVALID_CONFIG'],
        [{ topic: uniqueName('admin-cfgseg'), configEntries: [{ name: 'segment.bytes', value: '13' }] }, 'INVALID_CONFIG'],
      ]
      const results = await retrying(() => ctx.broker.createTopics([...bad.map(([spec]) => spec), { topic: good }]))
      bad.forEach(([spec, code], i) => {
        expect(results[i]).toMatchObject({ topic: spec.topic, created: false })
        expectError(results[i], code as 'INVALID_CONFIG')
      })
      expect(results[bad.length]).toMatchObject({ topic: good, created: true })
      const names = (await ctx.broker.metadata()).topics.map((t) => t.name)
      for (const [spec] of bad) if (spec.topic !== '__consumer_offsets') expect(names).not.toContain(spec.topic)
      expect(names).toContain(good)
    })

    it('createTopics with anything but a list is INVALID_REQUEST', async () => {
      await expectRejects(ctx.broker.createTopics('topic' as never), 'INVALID_REQUEST')
      await expectRejects(ctx.broker.createTopics([null] as never), 'INVALID_REQUEST')
    })

    it('metadata of an unknown topic is UNKNOWN_TOPIC_OR_PARTITION; allowAutoTopicCreation creates it', async () => {
      const topic = uniqueName('admin-auto')
      await expectRejects(ctx.broker.metadata({ topics: [topic] }), 'UNKNOWN_TOPIC_OR_PARTITION')
      const meta = await retrying(() => ctx.broker.metadata({ topics: [topic], allowAutoTopicCreation: true }))
      expect(meta.topics[0]?.name).toBe(topic)
    })

    it('deleteTopics removes a topic; an unknown name is UNKNOWN_TOPIC_OR_PARTITION and deletes none of the list', async () => {
      const keep = await createTopic(ctx, 'admin-keep')
      await expectRejects(ctx.broker.deleteTopics([keep, uniqueName('admin-unknown')]), 'UNKNOWN_TOPIC_OR_PARTITION')
      expect((await ctx.broker.metadata({ topics: [keep] })).topics).toHaveLength(1)
      await ctx.broker.deleteTopics([keep])
      await expectRejects(ctx.broker.metadata({ topics: [keep] }), 'UNKNOWN_TOPIC_OR_PARTITION')
    })

    it('createPartitions raises the count; not raising it is INVALID_PARTITIONS, an unknown topic UNKNOWN_TOPIC_OR_PARTITION', async () => {
      const topic = await createTopic(ctx, 'admin-grow', { numPartitions: 2 })
      await expectRejects(ctx.broker.createPartitions(topic, 2), 'INVALID_PARTITIONS')
      await expectRejects(ctx.broker.createPartitions(topic, 1), 'INVALID_PARTITIONS')
      await expectRejects(ctx.broker.createPartitions(topic, 2.5), 'INVALID_PARTITIONS')
      await expectRejects(ctx.broker.createPartitions(uniqueName('admin-nogrow'), 3), 'UNKNOWN_TOPIC_OR_PARTITION')
      await ctx.broker.createPartitions(topic, 4, { validateOnly: true })
      expect((await ctx.broker.metadata({ topics: [topic] })).topics[0]?.partitions).toHaveLength(2)
      await ctx.broker.createPartitions(topic, 4)
      expect((await ctx.broker.metadata({ topics: [topic] })).topics[0]?.partitions).toHaveLength(4)
    })

    it('describeConfigs lists every config with Kafka names, overrides marked; an unknown topic is UNKNOWN_TOPIC_OR_PARTITION', async () => {
      const topic = await createTopic(ctx, 'admin-configs', { configEntries: [{ name: 'retention.ms', value: '3600000' }] })
      const configs = await ctx.broker.describeConfigs(topic)
      expect(configs).toContainEqual({ name: 'retention.ms', value: '3600000', isDefault: false })
      expect(configs).toContainEqual({ name: 'cleanup.policy', value: 'delete', isDefault: true })
      await expectRejects(ctx.broker.describeConfigs(uniqueName('admin-noconfigs')), 'UNKNOWN_TOPIC_OR_PARTITION')
    })

    it('alterConfigs sets and resets overrides; bad names and values are INVALID_CONFIG and change nothing', async () => {
      const topic = await createTopic(ctx, 'admin-alter')
      await ctx.broker.alterConfigs(topic, [{ name: 'retention.ms', value: '1000' }])
      expect(await ctx.broker.describeConfigs(topic)).toContainEqual({ name: 'retention.ms', value: '1000', isDefault: false })
      await expectRejects(ctx.broker.alterConfigs(topic, [{ name: 'no.such.config', value: '1' }]), 'INVALID_CONFIG')
      await expectRejects(ctx.broker.alterConfigs(topic, [{ name: 'no.such.config', value: null }]), 'INVALID_CONFIG')
      await expectRejects(
        ctx.broker.alterConfigs(topic, [
          { name: 'retention.ms', value: '5' },
          { name: 'segment.ms', value: '-3' },
        ]),
        'INVALID_CONFIG',
      )
      await expectRejects(
        ctx.broker.alterConfigs(uniqueName('admin-noalter'), [{ name: 'retention.ms', value: '1' }]),
        'UNKNOWN_TOPIC_OR_PARTITION',
      )
      await ctx.broker.alterConfigs(topic, [{ name: 'retention.ms', value: '7' }], { validateOnly: true })
      expect(await ctx.broker.describeConfigs(topic)).toContainEqual({ name: 'retention.ms', value: '1000', isDefault: false })
      await ctx.broker.alterConfigs(topic, [{ name: 'retention.ms', value: null }])
      expect(await ctx.broker.describeConfigs(topic)).toContainEqual({ name: 'retention.ms', value: '604800000', isDefault: true })
    })

    it('initProducerId hands out a new producer id each time, epoch 0', async () => {
      const a = await retrying(() => ctx.broker.initProducerId())
      const b = await retrying(() => ctx.broker.initProducerId())
      expect(a.producerEpoch).toBe(0)
      expect(b.producerEpoch).toBe(0)
      expect(a.producerId).toBeGreaterThanOrEqual(0)
      expect(b.producerId).not.toBe(a.producerId)
    })
  })
}
