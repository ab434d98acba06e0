import { kafkaEnv } from '../kafka-env'
import { runExample } from '../run-example'

async function runsThrough(env: Record<string, string> = {}): Promise<void> {
  const { code, stdout, stderr } = await runExample('quickstart', env)
  expect(stderr).toBe('')
  expect(code).toBe(0)
  expect(stdout).toContain('created topic orders (3 partitions)')
  expect(stdout.match(/^received partition=/gm)).toHaveLength(9)
  expect(stdout).toContain('received 9 messages')
  expect(stdout).toContain('per-key order: ok')
  expect(stdout).toContain('group billing lag after consuming: 0')
}

test('the quickstart creates a topic, produces keyed messages and consumes them in order, then exits 0', () => runsThrough())

test('unchanged, over the Kafka protocol (KAFKA_BROKERS), it does the same', async () => {
  const kafka = await kafkaEnv()
  try {
    await runsThrough(kafka.env)
  } finally {
    await kafka.close()
  }
})
