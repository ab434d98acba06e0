import diagnostics from 'node:diagnostics_channel'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FAST_GROUP, waitFor } from '../testing/client-kit'
import { Tributary } from '../tributary'
import { DIAGNOSTICS_CHANNELS } from './instrument'
import { recordsIn } from './broker-metrics'
import { encodeRecordBatch } from '@tributary/core'

/*
 * tb.metrics(): counters match what was produced and consumed, offsets and lag come from the
 * broker, producers report batch sizes and latency, file storage reports its flushes; and the
 * diagnostics channels see produce, fetch, commit and rebalance.
 */

test('metrics count what was produced and consumed, group lag drops to 0, the storage reports flushes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-metrics-'))
  const tb = await Tributary.open({ dir, brokerOptions: { minSessionTimeoutMs: 50 } })
  try {
    await tb.admin().createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }] })
    const producer = tb.producer()
    await producer.send({ topic: 'orders', messages: Array.from({ length: 7 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) })
    await producer.send({ topic: 'orders', messages: [{ partition: 1, value: 'last' }] })

    const before = await tb.metrics()
    const produced = before.partitions.filter((p) => p.topic === 'orders')
    expect(produced.reduce((n, p) => n + p.messagesIn, 0)).toBe(8)
    expect(produced.reduce((n, p) => n + p.endOffset, 0)).toBe(8)
    expect(produced.every((p) => p.messagesOut === 0 && p.startOffset === 0 && p.leader === 0)).toBe(true)
    expect(before.producers).toHaveLength(1)
    expect(before.producers[0]).toMatchObject({ name: 'producer-1', records: 8, errors: 0 })
    expect(before.producers[0]?.sendLatencySeconds.count).toBeGreaterThanOrEqual(2)
    expect(before.storage).toMatchObject({ kind: 'file', partitions: 2, segments: 2 })
    expect(before.storage?.fsyncLatencySeconds?.count).toBeGreaterThan(0)

    const consumer = tb.consumer({ groupId: 'billing', ...FAST_GROUP })
    await consumer.subscribe({ topics: ['orders'], fromBeginning: true })
    let seen = 0
    await consumer.run({ eachMessage: async () => void seen++ })
    await waitFor(() => seen === 8, 'every message consumed')
    const committed = async () =>
      (await tb.metrics()).groups.find((g) => g.groupId === 'billing')?.partitions.reduce((n, p) => n + p.committedOffset, 0)
    await waitFor(async () => (await committed()) === 8, 'offsets committed')
    const after = await tb.metrics()
    const group = after.groups.find((g) => g.groupId === 'billing')
    expect(group).toMatchObject({ state: 'Stable', members: 1, lag: 0 })
    expect(group?.partitions.map((p) => p.committedOffset).reduce((a, b) => a + b, 0)).toBe(8)
    expect(after.partitions.filter((p) => p.topic === 'orders').reduce((n, p) => n + p.messagesOut, 0)).toBe(8)
    await consumer.disconnect()
  } finally {
    await tb.close()
    await rm(dir, { recursive: true, force: true })
  }
})

test('the diagnostics channels see produce, fetch, commit and rebalance with their requests', async () => {
  const seen: Record<string, Array<Record<string, unknown>>> = {}
  const subscriptions = Object.values(DIAGNOSTICS_CHANNELS).map((name) => {
    const handlers = {
      start: (ctx: unknown) => void (seen[name] ??= []).push(ctx as Record<string, unknown>),
      end: () => {},
      asyncStart: () => {},
      asyncEnd: () => {},
      error: () => {},
    }
    diagnostics.tracingChannel(name).subscribe(handlers)
    return () => diagnostics.tracingChannel(name).unsubscribe(handlers)
  })
  const tb = await Tributary.open({ brokerOptions: { minSessionTimeoutMs: 50 }, clientId: 'traced' })
  try {
    await tb.producer().send({ topic: 'audit', messages: [{ value: 'x' }] })
    const consumer = tb.consumer({ groupId: 'auditors', ...FAST_GROUP })
    await consumer.subscribe({ topics: ['audit'], fromBeginning: true })
    let got = 0
    await consumer.run({ eachMessage: async () => void got++ })
    await waitFor(() => got === 1, 'the message')
    await consumer.disconnect()
    expect(seen[DIAGNOSTICS_CHANNELS.produce]?.[0]).toMatchObject({ clientId: 'traced', request: { acks: -1 } })
    expect(seen[DIAGNOSTICS_CHANNELS.fetch]?.length).toBeGreaterThan(0)
    expect(seen[DIAGNOSTICS_CHANNELS.commit]?.some((c) => (c.request as { groupId: string }).groupId === 'auditors')).toBe(true)
    expect(seen[DIAGNOSTICS_CHANNELS.rebalance]?.map((c) => c.phase)).toEqual(expect.arrayContaining(['join', 'sync']))
    // The produce context carries the result once settled.
    expect(seen[DIAGNOSTICS_CHANNELS.produce]?.[0]?.result).toEqual([expect.objectContaining({ topic: 'audit', baseOffset: 0 })])
  } finally {
    for (const unsubscribe of subscriptions) unsubscribe()
    await tb.close()
  }
})

test('recordsIn counts a fetched batch from the offset asked', () => {
  const record = (v: string) => ({ key: null, value: Buffer.from(v), headers: [], timestamp: 1 })
  const batch = encodeRecordBatch([record('a'), record('b'), record('c')], { baseOffset: 10 })
  expect(recordsIn(batch, 0)).toBe(3)
  expect(recordsIn(batch, 11)).toBe(2)
  expect(recordsIn(batch, 13)).toBe(0)
  expect(recordsIn(Buffer.concat([batch, batch]), 0)).toBe(6)
})
