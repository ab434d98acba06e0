import { runExample } from '../run-example'

jest.setTimeout(60_000)

test('the cluster demo survives SIGKILL of a partition leader: writes resume, the node catches up, nothing acknowledged is lost or duplicated', async () => {
  const { code, stdout, stderr } = await runExample('cluster', { PHASE_MS: '1500' }, 55_000)
  // The nodes log the leader they lost (WARN lines, as an operator would see them); nothing else,
  // no error and no stack, reaches stderr.
  expect(stderr.split('\n').filter((line) => line !== '' && !/^\S+ WARN tributary: /.test(line))).toEqual([])
  expect(code).toBe(0)
  expect(stdout).toMatch(/created topic orders: 3 partitions, replication factor 3/)
  expect(stdout).toMatch(/SIGKILL node \d \(pid \d+\), leader of orders-0/)
  expect(stdout).toMatch(/writes to orders-0 resumed \d+ ms after the kill/)
  expect(stdout).toMatch(/node \d holds every message/)
  const summary = /produced (\d+), acknowledged (\d+), failed (\d+)/.exec(stdout)
  expect(summary).not.toBeNull()
  expect(Number(summary?.[2])).toBeGreaterThan(0)
  const consumed = /consumed (\d+) distinct/.exec(stdout)
  expect(Number(consumed?.[1])).toBeGreaterThanOrEqual(Number(summary?.[2]))
  expect(stdout).toContain('duplicates 0, lost 0')
})
