import type { LogFields } from '@tributary/core'
import { Tributary } from './tributary'

/*
 * What a Tributary logs: a consumer handler that throws shows a warn line per retry with its
 * topic, partition and offset (on stderr by default), then an error line when it gives up; joins
 * and assignments are info lines; `logLevel` and pino- or KafkaJS-style loggers are honoured.
 */

interface Line {
  level: string
  message: string
  fields: LogFields | undefined
}

function capture(): { lines: Line[]; logger: Record<'error' | 'warn' | 'info' | 'debug', (m: string, f?: LogFields) => void> } {
  const lines: Line[] = []
  const at = (level: string) => (message: string, fields?: LogFields) => lines.push({ level, message, fields })
  return { lines, logger: { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') } }
}

async function failingConsumer(tb: Tributary, topic: string): Promise<{ calls: () => number; stop: () => Promise<void> }> {
  await tb.producer().send({ topic, messages: [{ value: 'a' }, { value: 'b' }] })
  let calls = 0
  const consumer = tb.consumer({
    groupId: `${topic}-g`,
    sessionTimeoutMs: 6_000,
    heartbeatIntervalMs: 500,
    retry: { retries: 2, initialRetryTimeMs: 5, maxRetryTimeMs: 10, restartOnFailure: async () => false },
  })
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  await consumer.run({
    eachMessage: async () => {
      calls++
      throw new Error('handler bug')
    },
  })
  return { calls: () => calls, stop: () => consumer.disconnect() }
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 10))
  }
}

test('a handler that throws shows a warn line with its topic, partition and offset, then an error line when it gives up', async () => {
  const { lines, logger } = capture()
  const tb = await Tributary.open({ logger, logLevel: 'info' })
  const run = await failingConsumer(tb, 'orders')
  await until(() => lines.some((l) => l.message.includes('consumer crashed')))
  const warns = lines.filter((l) => l.level === 'warn')
  expect(warns).toHaveLength(2)
  for (const [i, w] of warns.entries()) {
    expect(w.message).toMatch(/^a consumer handler failed; retrying in \d+ ms$/)
    expect(w.fields).toMatchObject({ topic: 'orders', partition: 0, offset: 0, groupId: 'orders-g', attempt: i + 1, retries: 2 })
    expect((w.fields?.error as Error | undefined)?.message).toBe('handler bug')
  }
  expect(lines.find((l) => l.level === 'error' && l.message.includes('giving up'))?.fields).toMatchObject({
    topic: 'orders',
    partition: 0,
    offset: 0,
    attempts: 3,
  })
  expect(lines.find((l) => l.message === 'joined the consumer group')?.fields).toMatchObject({
    groupId: 'orders-g',
    generationId: 1,
    assignment: { orders: [0] },
  })
  expect(run.calls()).toBe(3)
  await run.stop()
  await tb.close()
})

test('by default the warn line goes to stderr in a readable form', async () => {
  const written: string[] = []
  const spy = jest.spyOn(console, 'error').mockImplementation((line: unknown) => void written.push(String(line)))
  try {
    const tb = await Tributary.open()
    const run = await failingConsumer(tb, 'payments')
    await until(() => written.some((l) => l.includes('giving up')))
    const warn = written.find((l) => l.includes(' WARN '))
    expect(warn).toMatch(
      /^\S+Z WARN tributary: a consumer handler failed; retrying in \d+ ms topic=payments partition=0 offset=0 groupId=payments-g error="handler bug" attempt=1 retries=2$/,
    )
    // The default level is warn: no info lines.
    expect(written.some((l) => l.includes(' INFO '))).toBe(false)
    await run.stop()
    await tb.close()
  } finally {
    spy.mockRestore()
  }
})

test('logLevel error keeps warn lines out; a KafkaJS logCreator gets the lines as KafkaJS entries', async () => {
  const { lines, logger } = capture()
  const quiet = await Tributary.open({ logger, logLevel: 'error' })
  const run = await failingConsumer(quiet, 'quiet')
  await until(() => lines.some((l) => l.message.includes('crashed')))
  expect(lines.every((l) => l.level === 'error')).toBe(true)
  await run.stop()
  await quiet.close()

  const entries: Array<{ level: number; log: Record<string, unknown> }> = []
  const kafkajs = await Tributary.open({ logger: () => (entry) => void entries.push(entry), logLevel: 'warn' })
  const again = await failingConsumer(kafkajs, 'kjs')
  await until(() => entries.some((e) => String(e.log.message).includes('crashed')))
  expect(entries.find((e) => e.level === 2)?.log).toMatchObject({ topic: 'kjs', partition: 0, offset: 0 })
  await again.stop()
  await kafkajs.close()
})

test('a bad logger or logLevel is INVALID_CONFIG with its path', async () => {
  await expect(Tributary.open({ logLevel: 'loud' as 'warn' })).rejects.toMatchObject({
    code: 'INVALID_CONFIG',
    details: { path: 'tributary.logLevel' },
  })
  await expect(Tributary.open({ logger: { warn: () => {} } as never })).rejects.toMatchObject({
    code: 'INVALID_CONFIG',
    details: { path: 'tributary.logger' },
  })
})
