import { kafkaEnv } from '../kafka-env'
import { runExample } from '../run-example'

async function runsThrough(env: Record<string, string> = {}): Promise<void> {
  const { code, stdout, stderr } = await runExample('worker-pool', { WORKERS: '3', JOBS: '48', ...env })
  expect(stderr).toBe('')
  expect(code).toBe(0)
  const owned = [...stdout.matchAll(/^worker-\d owns partitions \[(.*)\]$/gm)].map((m) => (m[1] as string).split(', ').map(Number))
  expect(owned).toHaveLength(3)
  expect(owned.flat().sort()).toEqual([0, 1, 2, 3, 4, 5])
  expect(owned.every((p) => p.length === 2)).toBe(true)
  expect(stdout).toContain('handled 48 jobs for 8 users; per-user order kept: yes')
}

test('the worker pool shares the partitions among its workers and keeps each user’s jobs in order', () => runsThrough())

test('unchanged, over the Kafka protocol (KAFKA_BROKERS), it does the same', async () => {
  const kafka = await kafkaEnv()
  try {
    await runsThrough(kafka.env)
  } finally {
    await kafka.close()
  }
})
