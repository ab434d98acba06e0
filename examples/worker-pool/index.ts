/**
 * Worker pool: one consumer group of N consumers in one process sharing a topic's partitions.
 * Jobs are keyed by user, so each user's jobs go to one partition and are handled in order by
 * whichever worker owns it, while different users' jobs run in parallel.
 *
 * Run with `pnpm tsx examples/worker-pool/index.ts` (WORKERS and JOBS set the sizes); with
 * KAFKA_BROKERS=host:port,… it runs against that Kafka cluster instead (see ../open-tributary.ts).
 */
import type { Consumer } from '@tributary/client'
import { openTributary } from '../open-tributary'

const WORKERS = Number(process.env.WORKERS ?? 3)
const JOBS = Number(process.env.JOBS ?? 60)
const USERS = ['ada', 'brian', 'grace', 'ken', 'linus', 'margaret', 'dennis', 'barbara']

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function main(): Promise<void> {
  const tb = await openTributary()
  try {
    await tb.admin().createTopics({ topics: [{ topic: 'jobs', numPartitions: 6 }] })
    const handled = new Map<string, number[]>()
    const byWorker = new Map<string, number>()
    let total = 0
    let finish!: () => void
    const allDone = new Promise<void>((resolve) => (finish = resolve))

    const workers: Consumer[] = []
    for (let w = 0; w < WORKERS; w++) {
      const name = `worker-${w}`
      const consumer = tb.consumer({ groupId: 'workers', heartbeatIntervalMs: 100 })
      await consumer.subscribe({ topics: ['jobs'], fromBeginning: true })
      await consumer.run({
        partitionsConsumedConcurrently: 2,
        eachMessage: async ({ partition, message }) => {
          const { user, seq } = JSON.parse(String(message.value)) as { user: string; seq: number }
          await sleep(1 + (seq % 3)) // Pretend to work; jobs of different users overlap.
          handled.set(user, [...(handled.get(user) ?? []), seq])
          byWorker.set(name, (byWorker.get(name) ?? 0) + 1)
          console.log(`${name} partition=${partition} user=${user} job=${seq}`)
          if (++total === JOBS) finish()
        },
      })
      workers.push(consumer)
    }
    // Wait until the group has settled: every partition owned by exactly one worker.
    const settled = async (): Promise<boolean> =>
      workers.flatMap((c) => c.assignment()).length === 6 && (await workers[0]!.describeGroup()).state === 'Stable'
    while (!(await settled())) await sleep(20)
    for (const [w, c] of workers.entries())
      console.log(
        `worker-${w} owns partitions [${c
          .assignment()
          .map((tp) => tp.partition)
          .join(', ')}]`,
      )

    const producer = tb.producer()
    const perUser = new Map<string, number>()
    const messages = Array.from({ length: JOBS }, (_, i) => {
      const user = USERS[i % USERS.length] as string
      const seq = (perUser.get(user) ?? 0) + 1
      perUser.set(user, seq)
      return { key: user, value: JSON.stringify({ user, seq }) }
    })
    await producer.send({ topic: 'jobs', messages })
    await allDone

    for (const [name, count] of [...byWorker].sort()) console.log(`${name} handled ${count} jobs`)
    const ordered = [...handled].every(([, seqs]) => seqs.every((s, i) => s === i + 1))
    console.log(`handled ${total} jobs for ${handled.size} users; per-user order kept: ${ordered ? 'yes' : 'NO'}`)
    if (!ordered) process.exitCode = 1
  } finally {
    await tb.close()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
