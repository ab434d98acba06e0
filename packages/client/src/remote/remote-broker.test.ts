import { TributaryError } from '@tributary/core'
import type { WireHeader } from '@tributary/core/internal'
import { Tributary } from '../tributary'
import { RemoteBroker } from './remote-broker'
import { deadAddress, listen, stop as close } from '../testing/remote-kit'

describe('RemoteBroker', () => {
  test('a connect to an address with nothing listening fails with a retriable LEADER_NOT_AVAILABLE', async () => {
    const tb = await Tributary.connect({ brokers: [await deadAddress()] })
    const error = await tb
      .admin()
      .listTopics()
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TributaryError)
    expect(error).toMatchObject({ code: 'LEADER_NOT_AVAILABLE', retriable: true })
    await tb.close()
  })

  test('the first reachable address is used, and after a connection loss the next one', async () => {
    const seen: string[] = []
    const a = await listen((h) => (seen.push(`a:${h.m}`), { id: h.id, v: { clusterId: 'a', controllerId: 1, brokers: [], topics: [] } }))
    const b = await listen((h) => (seen.push(`b:${h.m}`), { id: h.id, v: { clusterId: 'b', controllerId: 1, brokers: [], topics: [] } }))
    const broker = new RemoteBroker({ brokers: [await deadAddress(), a.address, b.address] })
    try {
      expect((await broker.metadata()).clusterId).toBe('a')
      await close(a)
      // The request in flight when the connection drops fails retriably; the next call fails over.
      await new Promise((r) => setTimeout(r, 20))
      expect((await broker.metadata()).clusterId).toBe('b')
      expect(seen).toEqual(['a:metadata', 'b:metadata'])
    } finally {
      await broker.close()
      await close(b)
    }
  })

  test('errors cross as TributaryErrors with their code, and Buffers arrive as Buffers', async () => {
    const s = await listen((h) =>
      h.m === 'fetch'
        ? { id: h.id, v: [{ topic: 't', partition: 0, highWatermark: 1, logStartOffset: 0, batches: [Buffer.from('raw bytes')] }] }
        : { id: h.id, e: new TributaryError('NOT_ENOUGH_REPLICAS', 'only 1 in sync', { details: { topic: 't' } }) },
    )
    const broker = new RemoteBroker({ brokers: [s.address] })
    try {
      const [r] = await broker.fetch({ partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 100 }], maxWaitMs: 0 })
      expect(Buffer.isBuffer(r?.batches[0])).toBe(true)
      expect(r?.batches[0]?.toString()).toBe('raw bytes')
      const error = await broker.produce({ acks: -1, timeoutMs: 100, partitions: [] }).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'NOT_ENOUGH_REPLICAS', retriable: true, details: { topic: 't' } })
      expect(broker.verifiesFetchedBatches).toBe(false)
    } finally {
      await broker.close()
      await close(s)
    }
  })

  test('a request without an answer fails with REQUEST_TIMED_OUT; an aborted fetch sends a $cancel', async () => {
    const requests: WireHeader[] = []
    const s = await listen((h) => (requests.push(h), undefined))
    const broker = new RemoteBroker({ brokers: [s.address], requestTimeoutMs: 50 })
    try {
      await expect(broker.listGroups()).rejects.toMatchObject({ code: 'REQUEST_TIMED_OUT', retriable: true })
      const controller = new AbortController()
      const fetching = broker.fetch({ partitions: [], maxWaitMs: 50, signal: controller.signal }).catch((e: unknown) => e)
      await new Promise((r) => setTimeout(r, 10))
      controller.abort()
      expect(await fetching).toMatchObject({ code: 'REQUEST_TIMED_OUT' })
      const fetchId = requests.find((h) => h.m === 'fetch')?.id
      expect(requests.find((h) => h.m === '$cancel')?.a).toEqual([fetchId])
    } finally {
      await broker.close()
      await close(s)
    }
  })

  test('calls after close fail with CLIENT_CLOSED, and so do calls pending at close', async () => {
    const s = await listen(() => undefined)
    const broker = new RemoteBroker({ brokers: [s.address] })
    const pending = broker.listGroups().catch((e: unknown) => e)
    await new Promise((r) => setTimeout(r, 20))
    await broker.close()
    expect(await pending).toMatchObject({ code: 'CLIENT_CLOSED' })
    await expect(broker.metadata()).rejects.toMatchObject({ code: 'CLIENT_CLOSED' })
    await close(s)
  })

  test('the request queue is bounded: beyond in-flight and queued limits a call fails at once', async () => {
    const s = await listen(() => undefined)
    const broker = new RemoteBroker({ brokers: [s.address], maxInFlightRequests: 2, maxQueuedRequests: 1, requestTimeoutMs: 200 })
    try {
      const calls = [1, 2, 3].map(() => broker.listGroups().catch((e: unknown) => e))
      await expect(broker.listGroups()).rejects.toMatchObject({ code: 'REQUEST_TIMED_OUT', retriable: true })
      for (const c of await Promise.all(calls)) expect(c).toMatchObject({ code: 'REQUEST_TIMED_OUT' })
    } finally {
      await broker.close()
      await close(s)
    }
  })

  test('options are checked: brokers must be a non-empty list of host:port, times whole ms, names known', async () => {
    await expect(Tributary.connect({ brokers: [] })).rejects.toMatchObject({ code: 'INVALID_CONFIG', details: { path: 'connect.brokers' } })
    await expect(Tributary.connect({ brokers: ['nowhere'] })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      details: { path: 'connect.brokers[0]' },
    })
    await expect(Tributary.connect({ brokers: ['127.0.0.1:1'], requestTimeoutMs: 0 })).rejects.toMatchObject({ code: 'INVALID_CONFIG' })
    await expect(Tributary.connect({ brokers: ['127.0.0.1:1'], metadataMaxAgeMs: -1 })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      details: { path: 'connect.metadataMaxAgeMs' },
    })
    await expect(Tributary.connect({ brokers: ['127.0.0.1:1'], reconnectBackoffMs: 1.5 })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      details: { path: 'connect.reconnectBackoffMs' },
    })
    await expect(Tributary.connect({ brokers: ['127.0.0.1:1'], metadataMaxAge: 1 } as never)).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      details: { path: 'connect.metadataMaxAge' },
    })
    // Zero is allowed for both: leaders asked before every call, a refused node retried at once.
    await expect(
      Tributary.connect({ brokers: ['127.0.0.1:1'], metadataMaxAgeMs: 0, reconnectBackoffMs: 0 }).then((tb) => tb.close()),
    ).resolves.toBeUndefined()
  })
})
