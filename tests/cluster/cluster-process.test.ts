import { Tributary } from '@tributary/client'
import { eventually, readAll, waitUntil } from '@tributary/core/testing'
import { ClusterProcesses } from '../supervisor'

jest.setTimeout(60_000)

test('three node processes: SIGKILL the leader under acks=all load; every acknowledged message is consumed exactly once, writes resume, the node catches up', async () => {
  const procs = await ClusterProcesses.start([1, 2, 3], {
    node: { tickMs: 20, groupCoordinator: { minSessionTimeoutMs: 50, initialRebalanceDelayMs: 0 } },
  })
  const all = [...procs.addresses.values()]
  let tb: Tributary | undefined
  let check: Tributary | undefined
  try {
    const setup = await Tributary.connect({ brokers: all })
    await eventually(
      async () =>
        (await setup
          .admin()
          .createTopics({
            topics: [
              { topic: 'load', numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] },
            ],
          })
          .catch(() => undefined)) === undefined
          ? undefined
          : true,
      15_000,
    )
    const leader = await eventually(async () => {
      const l = (await setup.broker.metadata({ topics: ['load'] })).topics[0]?.partitions[0]?.leader
      return l !== undefined && l > 0 ? l : undefined
    })
    await setup.close()

    // The client lists the leader last, so it keeps its connection; the leader's death is felt as a partition failover.
    tb = await Tributary.connect({
      brokers: [...[...procs.addresses].filter(([id]) => id !== leader).map(([, a]) => a), procs.addresses.get(leader) as string],
    })
    const producer = tb.producer({
      acks: 'all',
      idempotent: true,
      lingerMs: 1,
      retry: { retries: 100, initialRetryTimeMs: 20, maxRetryTimeMs: 200 },
    })
    const acked: string[] = []
    let killedAt = 0
    let resumedAt = 0
    let stop = false
    const load = (async () => {
      for (let i = 0; !stop; i++) {
        const values = Array.from({ length: 10 }, (_, j) => `m${i * 10 + j}`)
        const startedAfterKill = killedAt > 0
        await producer.send({ topic: 'load', messages: values.map((value) => ({ key: `k${(i * 10) % 7}`, value })) })
        acked.push(...values)
        if (startedAfterKill && resumedAt === 0) resumedAt = Date.now()
      }
    })()
    await waitUntil(() => acked.length >= 300, 15_000)
    // The partition's leader now (a preferred-leader rebalance may have moved it since).
    const victim = (await tb.broker.metadata({ topics: ['load'] })).topics[0]?.partitions[0]?.leader ?? leader
    killedAt = Date.now()
    await procs.kill(victim)
    await waitUntil(() => resumedAt > 0 && acked.length >= 600, 20_000)
    stop = true
    await load
    const resumeMs = resumedAt - killedAt
    expect(resumeMs).toBeLessThan(10_000)
    if (process.env.TRIBUTARY_REPORT) console.log(`writes resumed ${resumeMs} ms after SIGKILL; ${acked.length} acknowledged`)

    const consumer = tb.consumer({ groupId: 'after-failover', sessionTimeoutMs: 3000, heartbeatIntervalMs: 100, maxWaitMs: 100 })
    await consumer.subscribe({ topics: ['load'], fromBeginning: true })
    const seen = new Map<string, number>()
    await consumer.run({
      eachMessage: async ({ message }) => void seen.set(String(message.value), (seen.get(String(message.value)) ?? 0) + 1),
    })
    await waitUntil(() => acked.every((v) => seen.has(v)), 20_000)
    await consumer.disconnect()
    expect([...seen.values()].every((n) => n === 1)).toBe(true)

    // The killed node comes back from its directory and catches up with everything written.
    await procs.spawn(victim)
    check = await Tributary.connect({ brokers: [procs.addresses.get(victim) as string] })
    const broker = check.broker
    const caughtUp = await eventually(async () => {
      const read = await readAll(broker, 'load').catch(() => [])
      return read.length >= seen.size ? read : undefined
    }, 15_000)
    expect(new Set(caughtUp.map((r) => r.value))).toEqual(new Set(seen.keys()))
  } finally {
    await check?.close()
    await tb?.close()
    await procs.stop()
  }
})
