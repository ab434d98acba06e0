import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { Tributary } from '@tributary/client'
import { launchChromium } from './chromium-kit'
import { ConsoleServer } from './console-server'

/*
 * The web console in a real headless Chromium (Debian's `chromium`, driven by playwright-core):
 * the topics page shows a topic created here with its message count and a sparkline; the groups
 * page shows a group's lag, which drops to 0 once a consumer has read everything; the message
 * browser shows the messages as JSON; the cluster page shows the node. A screenshot of each page
 * goes under the test's temp dir, or CONSOLE_SHOTS_DIR to keep them (UPDATE_DOCS_SCREENSHOT=1 also
 * copies the topics page to docs/).
 * Without Chromium at /usr/bin/chromium this test fails: `.ci/run` installs it.
 */

let dir: string
let tb: Tributary
let server: ConsoleServer
let browser: BrowserContext
let page: Page

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-console-'))
  tb = await Tributary.open({ brokerOptions: { minSessionTimeoutMs: 50 } })
  server = await ConsoleServer.start({ broker: tb.broker, listen: '127.0.0.1:0', sampleIntervalMs: 250 })
  browser = await launchChromium(dir)
  page = browser.pages()[0] ?? (await browser.newPage())
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
  await tb?.close()
  rmSync(dir, { recursive: true, force: true })
})

async function shot(name: string): Promise<string> {
  // CONSOLE_SHOTS_DIR keeps the screenshots (CI artifacts); otherwise they go with the temp dir.
  const path = join(process.env.CONSOLE_SHOTS_DIR ?? dir, `${name}.png`)
  await page.screenshot({ path })
  expect(statSync(path).size).toBeGreaterThan(1000)
  return path
}

test('the console shows a new topic, a group whose lag drops to 0, messages and the node, in Chromium', async () => {
  await tb.admin().createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }] })
  const producer = tb.producer()
  for (let i = 0; i < 6; i++) {
    await producer.send({
      topic: 'orders',
      messages: Array.from({ length: 5 }, (_, j) => ({
        key: `customer-${(i * 5 + j) % 7}`,
        value: JSON.stringify({ order: i * 5 + j, total: 10 + j }),
      })),
    })
    await new Promise((r) => setTimeout(r, 150))
  }
  // The group has committed offsets at the start: 30 messages of lag before anyone reads.
  for (const partition of [0, 1, 2])
    await tb.admin().setOffsets({ groupId: 'billing', topic: 'orders', partitions: [{ partition, offset: 0 }] })

  await page.goto(`${server.url}#/topics`)
  const row = page.locator('[data-testid="topic-row-orders"]')
  await row.waitFor({ timeout: 20_000 })
  await page.locator('[data-testid="topic-messages-orders"]', { hasText: /^30$/ }).waitFor({ timeout: 20_000 })
  expect(await row.locator('svg.spark polyline').count()).toBe(1)
  await page.locator('details[data-key="topic:orders"] summary').click()
  await page.locator('details[data-key="topic:orders"] table').waitFor()
  const topicsShot = await shot('topics')
  if (process.env.UPDATE_DOCS_SCREENSHOT === '1') copyFileSync(topicsShot, join(__dirname, '..', '..', '..', '..', 'docs', 'console.png'))

  await page.goto(`${server.url}#/groups`)
  await page.locator('[data-testid="group-lag-billing"]', { hasText: /^30$/ }).waitFor({ timeout: 20_000 })
  const consumer = tb.consumer({ groupId: 'billing', sessionTimeoutMs: 2_000, heartbeatIntervalMs: 100, maxWaitMs: 200 })
  await consumer.subscribe({ topics: ['orders'] })
  let read = 0
  await consumer.run({ eachMessage: async () => void read++ })
  await page.locator('[data-testid="group-lag-billing"]', { hasText: /^0$/ }).waitFor({ timeout: 30_000 })
  expect(read).toBe(30)
  await page.locator('[data-testid="group-row-billing"]', { hasText: 'Stable' }).waitFor({ timeout: 10_000 })
  await page.locator('details[data-key="group:billing"] summary').click()
  await shot('groups')

  await page.goto(`${server.url}#/messages`)
  await page.locator('[data-testid="browse-form"] select[name="as"]').selectOption('json')
  await page.locator('[data-testid="browse-read"]').click()
  await page.locator('[data-testid="message-row"]').first().waitFor({ timeout: 10_000 })
  expect(await page.locator('[data-testid="message-row"] pre', { hasText: '"total"' }).count()).toBeGreaterThan(0)
  await shot('messages')

  await page.goto(`${server.url}#/cluster`)
  await page.locator('[data-testid="node-row-0"]').waitFor({ timeout: 10_000 })
  await shot('cluster')
  await consumer.disconnect()
}, 120_000)

test('the console is read-only by default: actions are refused', async () => {
  const res = await fetch(`${server.url}api/topics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tributary-action': '1' },
    body: JSON.stringify({ topic: 'nope' }),
  })
  expect(res.status).toBe(403)
  expect((await tb.broker.metadata()).topics.map((t) => t.name)).not.toContain('nope')
})

test('with actions, the console creates a topic from its form (kept through polling), resets the offsets of an empty group, refuses a busy group and posts without the action header', async () => {
  const withActions = await ConsoleServer.start({ broker: tb.broker, listen: '127.0.0.1:0', actions: true })
  try {
    const bare = await fetch(`${withActions.url}api/topics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"topic":"x"}',
    })
    expect(bare.status).toBe(403)
    await page.goto(`${withActions.url}#/topics`)
    await page.locator('[data-testid="create-topic"] input[name="topic"]').fill('made-in-browser')
    await page.locator('[data-testid="create-topic"] input[name="partitions"]').fill('2')
    // The page polls every 2 s; a form being filled in survives it.
    await new Promise((r) => setTimeout(r, 2_500))
    expect(await page.locator('[data-testid="create-topic"] input[name="topic"]').inputValue()).toBe('made-in-browser')
    await page.locator('[data-testid="create-topic"] button').click()
    await page.locator('[data-testid="topic-row-made-in-browser"]').waitFor({ timeout: 10_000 })
    const meta = await tb.broker.metadata({ topics: ['made-in-browser'] })
    expect(meta.topics[0]?.partitions).toHaveLength(2)

    // Reset an empty group's offsets (billing has stopped); refused while it has members.
    const reset = (groupId: string, body: object) =>
      fetch(`${withActions.url}api/groups/${groupId}/reset`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-tributary-action': '1' },
        body: JSON.stringify(body),
      })
    const moved = await reset('billing', { topic: 'orders', to: 'earliest' })
    expect(moved.status).toBe(200)
    expect((await tb.broker.fetchOffsets('billing')).map((o) => o.offset)).toEqual([0, 0, 0])
    const badTo = await reset('billing', { topic: 'orders', to: 'yesterday' })
    expect(badTo.status).toBe(400)
    const busy = tb.consumer({ groupId: 'busy', sessionTimeoutMs: 2_000, heartbeatIntervalMs: 100, maxWaitMs: 200 })
    await busy.subscribe({ topics: ['orders'] })
    await busy.run({ eachMessage: async () => undefined })
    try {
      const deadline = Date.now() + 15_000
      while (((await tb.broker.describeGroups(['busy']))[0]?.members.length ?? 0) === 0) {
        if (Date.now() > deadline) throw new Error('the busy group never got its member')
        await new Promise((r) => setTimeout(r, 50))
      }
      const refused = await reset('busy', { topic: 'orders', to: 'latest' })
      expect(refused.status).toBe(400)
      expect(await refused.json()).toMatchObject({ code: 'NON_EMPTY_GROUP' })
    } finally {
      await busy.disconnect()
    }
  } finally {
    await withActions.close()
  }
}, 60_000)

test('a routable listen address is refused without insecure', async () => {
  await expect(ConsoleServer.start({ broker: tb.broker, listen: '0.0.0.0:0' })).rejects.toMatchObject({ code: 'INVALID_CONFIG' })
})
