import { runExample } from '../run-example'

test('the quickstart creates a topic, produces keyed messages and consumes them in order, then exits 0', async () => {
  const { code, stdout, stderr } = await runExample('quickstart')
  expect(stderr).toBe('')
  expect(code).toBe(0)
  expect(stdout).toContain('created topic orders (3 partitions)')
  expect(stdout.match(/^received partition=/gm)).toHaveLength(9)
  expect(stdout).toContain('received 9 messages')
  expect(stdout).toContain('per-key order: ok')
  expect(stdout).toContain('group billing lag after consuming: 0')
})
