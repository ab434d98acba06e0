/**
 * Cluster: three Tributary nodes as three OS processes on localhost, a topic replicated to all
 * three, an idempotent producer writing keyed orders with acks=all, and a consumer group reading
 * them. Midway the leader of partition 0 is killed with SIGKILL; the demo shows consumption going
 * on, writes to that partition resuming (and how long they paused), the node coming back from its
 * own directory and catching up, and a summary: nothing acknowledged was lost or duplicated.
 *
 * Run with `pnpm demo:cluster` (or `pnpm tsx examples/cluster/index.ts`). PHASE_MS (default 3000)
 * sets how long each phase of load lasts.
 */
import { partitionForKey } from '@tributary/core'
import { Tributary, type Producer } from '@tributary/client'
import { ClusterProcesses } from '@tributary/tests/supervisor'

const TOPIC = 'orders'
const PARTITIONS = 3
const KEYS_PER_PARTITION = 4
const MESSAGES_PER_SEND = 10
/** Pause between one writer's sends, in ms: it keeps the demo's pace readable (~3,000 msgs/s in all). */
const SEND_PAUSE_MS = 10
/** Pause after a send that failed despite the producer's retries, in ms. */
const FAILURE_PAUSE_MS = 500
const PHASE_MS = Number(process.env.PHASE_MS ?? 3000)
/** Bounds on waits that depend on the cluster (elections, catch-up, draining). */
const WAIT_LIMIT_MS = 20_000
const CLOSE_LIMIT_MS = 5_000

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const t0 = Date.now()
const log = (line: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${line}`)

/** until polls `f` every 20 ms until it returns something other than undefined; errors count as "not yet". */
async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, limitMs = WAIT_LIMIT_MS): Promise<T> {
  const deadline = Date.now() + limitMs
  let lastError: unknown
  for (;;) {
    const v = await Promise.resolve()
      .then(f)
      .catch((error: unknown) => void (lastError = error))
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`)
    await sleep(20)
  }
}

/** keysFor picks customer keys that hash (murmur2, as Kafka's client does) to `partition`. */
function keysFor(partition: number): string[] {
  const keys: string[] = []
  for (let n = 0; keys.length < KEYS_PER_PARTITION; n++)
    if (partitionForKey(`customer-${n}`, PARTITIONS) === partition) keys.push(`customer-${n}`)
  return keys
}

/** State shared by the writers, the consumer and the reporting. */
const produced = [0, 0, 0]
const acked = new Set<string>() // values whose send was acknowledged
const ackedPer = [0, 0, 0]
let failedSends = 0
const consumed = new Map<string, Set<string>>() // value -> the 'partition/offset's it was read at
const consumedPer = [0, 0, 0]
let deliveries = 0
let killedAt = 0
let resumedAt = 0

/** writer sends orders for one partition's customers, one send at a time, until `stop()` says so. */
async function writer(producer: Producer, partition: number, stop: () => boolean): Promise<void> {
  const keys = keysFor(partition)
  for (let seq = 0; !stop(); ) {
    const startedAfterKill = killedAt > 0
    const messages = Array.from({ length: MESSAGES_PER_SEND }, () => {
      const n = seq++
      return { key: keys[n % keys.length] as string, value: `p${partition}-order-${n}` }
    })
    produced[partition]! += messages.length
    try {
      await producer.send({ topic: TOPIC, messages })
      for (const m of messages) acked.add(m.value)
      ackedPer[partition]! += messages.length
      if (partition === 0 && startedAfterKill && resumedAt === 0) resumedAt = Date.now()
    } catch (error) {
      // This happens only once the producer has spent its retries: say so once, then back off.
      if (failedSends === 0) log(`a send to ${TOPIC}-${partition} failed after its retries: ${(error as Error).message}`)
      failedSends += messages.length
      await sleep(FAILURE_PAUSE_MS)
    }
    await sleep(SEND_PAUSE_MS)
  }
}

function progress(): string {
  return `acknowledged ${acked.size} (${ackedPer.join(' / ')}), consumed ${consumed.size} (${consumedPer.join(' / ')})`
}

async function leaders(tb: Tributary): Promise<number[]> {
  const meta = await tb.admin().fetchTopicMetadata({ topics: [TOPIC] })
  return (meta.topics[0]?.partitions ?? []).sort((a, b) => a.partitionId - b.partitionId).map((p) => p.leader)
}

async function endOffsets(tb: Tributary): Promise<number[]> {
  return (await tb.admin().fetchTopicOffsets(TOPIC)).sort((a, b) => a.partition - b.partition).map((p) => p.high)
}

async function main(): Promise<void> {
  const procs = await ClusterProcesses.start([1, 2, 3], {
    // Short ticks so that a failover takes well under a second (election timeout 10–20 ticks);
    // the consumer asks for a short session, so that it notices a lost coordinator quickly.
    node: { tickMs: 25, groupCoordinator: { minSessionTimeoutMs: 1000 } },
  })
  for (const [id, address] of procs.addresses) log(`node ${id} (pid ${procs.pid(id)}) serves ${address}, data in ${procs.dataDir(id)}`)
  const clients: Tributary[] = []
  try {
    const tb = await Tributary.connect({ brokers: procs.brokers })
    clients.push(tb)
    const admin = tb.admin()
    // The nodes elect a metadata leader first; until then topic creation is refused (retriable).
    await until('the metadata leader', () =>
      admin.createTopics({
        topics: [
          { topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] },
        ],
      }),
    )
    const placement = await until('partition leaders', async () => {
      const l = await leaders(tb)
      return l.every((x) => x > 0) ? l : undefined
    })
    log(
      `created topic ${TOPIC}: ${PARTITIONS} partitions, replication factor 3, leaders ${placement.map((l, p) => `${TOPIC}-${p}@node${l}`).join(', ')}`,
    )
    log(`metadata leader (and group coordinator): node ${(await tb.broker.metadata({ topics: [] })).controllerId}`)

    const consumer = tb.consumer({ groupId: 'audit', sessionTimeoutMs: 3000, heartbeatIntervalMs: 300, maxWaitMs: 200 })
    await consumer.subscribe({ topics: [TOPIC], fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const value = String(message.value)
        const at = consumed.get(value) ?? new Set<string>()
        if (at.size === 0) consumedPer[partition]! += 1
        at.add(`${partition}/${message.offset}`)
        consumed.set(value, at)
        deliveries++
      },
    })

    const producer = tb.producer({
      acks: -1,
      idempotent: true,
      lingerMs: 2,
      retry: { retries: 200, initialRetryTimeMs: 20, maxRetryTimeMs: 200 },
    })
    let stopWriting = false
    const writers = [0, 1, 2].map((p) => writer(producer, p, () => stopWriting))
    const ticker = setInterval(() => log(progress()), 1000)
    try {
      await sleep(PHASE_MS)

      // Kill the node that leads partition 0 right now. It may also lead other partitions and the
      // metadata group (and so run the group coordinator): the clients find the new leaders of all.
      const victim = (await leaders(tb))[0] as number
      const consumedAtKill = consumed.size
      const ackedAtKill = ackedPer.slice()
      log(`SIGKILL node ${victim} (pid ${procs.pid(victim)}), leader of ${TOPIC}-0`)
      killedAt = Date.now()
      await procs.kill(victim)
      await until('writes to resume', () => (resumedAt > 0 ? true : undefined))
      const pauseMs = resumedAt - killedAt
      const newLeaders = await until('new leaders', async () =>
        (await leaders(tb)).every((l) => l > 0 && l !== victim) ? leaders(tb) : undefined,
      )
      log(
        `writes to ${TOPIC}-0 resumed ${pauseMs} ms after the kill; leaders now ${newLeaders.map((l, p) => `${TOPIC}-${p}@node${l}`).join(', ')}`,
      )
      await sleep(PHASE_MS)
      const others = ackedPer.map((n, p) => n - (ackedAtKill[p] as number))
      log(`since the kill: ${consumed.size - consumedAtKill} more consumed; acknowledged per partition +${others.join(' / +')}`)

      log(`restarting node ${victim} from ${procs.dataDir(victim)}`)
      await procs.spawn(victim)
      const backAt = Date.now()
      // It answers offset queries from its own replicas, so its end offsets show how far it got.
      const restarted = await Tributary.connect({ brokers: [procs.addresses.get(victim) as string] })
      clients.push(restarted)
      const [mine, target] = await until(`node ${victim}'s replicas`, async () => [await endOffsets(restarted), await endOffsets(tb)])
      log(`node ${victim} is back (pid ${procs.pid(victim)}): its end offsets ${mine.join(' / ')}, the cluster's ${target.join(' / ')}`)
      await until(`node ${victim} to catch up`, async () =>
        (await endOffsets(restarted)).every((o, p) => o >= (target[p] as number)) ? true : undefined,
      )
      log(`node ${victim} caught up with what it missed ${Date.now() - backAt} ms after it came back, while writes went on`)
      await sleep(PHASE_MS)
      stopWriting = true
      await Promise.all(writers)
      await producer.disconnect()
      log(`writers stopped: ${progress()}`)

      // Once writes stop, every replica ends at the same offsets.
      const final = await until('the cluster end offsets', () => endOffsets(tb))
      const ends = await until(`node ${victim} to hold every message`, async () => {
        const now = await endOffsets(restarted)
        return now.every((o, p) => o === final[p]) ? now : undefined
      })
      log(`node ${victim} holds every message: end offsets ${ends.map((o, p) => `${TOPIC}-${p}=${o}`).join(', ')}, as the cluster's`)

      await until('the consumer to read every acknowledged message', () => ([...acked].every((v) => consumed.has(v)) ? true : undefined))
      await consumer.stop()
    } finally {
      clearInterval(ticker)
      stopWriting = true
    }

    const lost = [...acked].filter((v) => !consumed.has(v)).length
    const duplicates = [...consumed.values()].filter((at) => at.size > 1).length
    const redelivered = deliveries - [...consumed.values()].reduce((n, at) => n + at.size, 0)
    const producedTotal = produced.reduce((a, b) => a + b, 0)
    console.log('summary:')
    console.log(`  produced ${producedTotal}, acknowledged ${acked.size}, failed ${failedSends}`)
    console.log(`  consumed ${consumed.size} distinct (${redelivered} redelivered at the same offset after a rebalance)`)
    console.log(`  partition 0 write pause after SIGKILL: ${resumedAt - killedAt} ms`)
    console.log(`  duplicates ${duplicates}, lost ${lost}`)
    if (lost > 0 || duplicates > 0) process.exitCode = 1
  } finally {
    // Closing flushes the producer; after a failure the cluster may not answer, so do not wait long.
    await Promise.race([Promise.all(clients.map((c) => c.close())), sleep(CLOSE_LIMIT_MS)])
    await procs.stop()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
