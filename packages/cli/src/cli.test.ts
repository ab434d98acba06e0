import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePortPair } from '@tributary/cluster/testing'
import { run, start } from '@tributary/core/testing'
import { tributaryCommand } from './testing-bin'

/*
 * The `tributary` command as a user runs it, as a process, against a real data directory: every
 * command (topics, groups, produce, consume, inspect, verify, completion), tables and --json,
 * the documented exit codes (0 ok, 1 failed or damage found, 2 bad usage), --help everywhere.
 * The same commands on a SQLite file and on a cluster node over Tributary's protocol (--brokers);
 * commands/serve.test.ts runs them against a running node over the Kafka protocol.
 */

const [NODE, ...BIN] = tributaryCommand()

function tributary(args: string[], input?: string) {
  return run(NODE as string, [...BIN, ...args], { input: input ?? '', timeoutMs: 60_000 })
}

async function ok(args: string[], input?: string): Promise<string> {
  const r = await tributary(args, input)
  if (r.code !== 0) throw new Error(`tributary ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
  return r.stdout
}

async function json<T>(args: string[]): Promise<T> {
  return JSON.parse(await ok([...args, '--json'])) as T
}

let root: string
let dir: string

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'tributary-cli-'))
  dir = join(root, 'data')
})

afterAll(() => rmSync(root, { recursive: true, force: true }))

test('topics, produce, consume, groups on a data directory', async () => {
  const d = ['--dir', dir]
  await ok(['topics', 'create', 'orders', '--partitions', '3', '--config', 'retention.ms=86400000', ...d])
  const created = await tributary(['topics', 'create', 'orders', ...d])
  expect(created.code).toBe(1)
  expect(created.stderr).toMatch(/TOPIC_ALREADY_EXISTS/)
  await ok(['topics', 'create', 'orders', '--if-not-exists', ...d])

  const lines = ['alice:{"total":12}', 'bob:{"total":7}', 'carol:{"total":30}', 'alice:{"total":5}']
  const produced = await tributary(['produce', 'orders', '-K', ':', '-H', 'source=cli', ...d], `${lines.join('\n')}\n`)
  expect(produced.code).toBe(0)
  expect(produced.stderr).toContain('produced 4 messages to orders')

  expect(await ok(['topics', 'list', ...d])).toMatch(/^TOPIC\s+PARTITIONS\s+REPLICAS\s+MESSAGES\norders\s+3\s+1\s+4\n$/)
  const described = await json<Array<{ name: string; partitions: Array<{ endOffset: number }> }>>(['topics', 'describe', 'orders', ...d])
  expect(described[0]?.name).toBe('orders')
  expect(described[0]?.partitions.reduce((n, p) => n + p.endOffset, 0)).toBe(4)

  // Everything from the beginning, in a kcat-style format, keys keeping their partition order.
  const all = await ok(['consume', 'orders', '--from-beginning', '--exit-at-end', '-f', '%k=%v %h\\n', ...d])
  const printed = all.trim().split('\n').sort()
  expect(printed).toEqual(lines.map((l) => `${l.replace(':', '=')} source=cli`).sort())
  const aliceOrder = all
    .split('\n')
    .filter((l) => l.startsWith('alice='))
    .map((l) => l.split(' ')[0])
  expect(aliceOrder).toEqual(['alice={"total":12}', 'alice={"total":5}'])

  const asJson = (await ok(['consume', 'orders', '-b', '-e', '--json', '--encoding', 'json', ...d]))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { topic: string; key: string; value: { total: number }; headers: unknown })
  expect(asJson.map((m) => m.value.total).sort((a, b) => a - b)).toEqual([5, 7, 12, 30])
  expect(asJson.every((m) => m.topic === 'orders')).toBe(true)

  // A group that reads two messages and commits: lag 2 in all, reported per partition.
  expect((await ok(['consume', 'orders', '-b', '-g', 'billing', '--max-messages', '2', ...d])).trim().split('\n')).toHaveLength(2)
  type Lag = { group: string; topic: string; partition: number; committed: number; end: number; lag: number }
  const lagAfterTwo = await json<Lag[]>(['groups', 'lag', 'billing', ...d])
  expect(lagAfterTwo.reduce((n, l) => n + l.end, 0)).toBe(4)
  expect(lagAfterTwo.reduce((n, l) => n + l.lag, 0)).toBe(2)
  expect(await ok(['groups', 'list', ...d])).toMatch(/billing\s+Empty/)

  // reset-offsets is a dry run unless --execute.
  const plan = await ok(['groups', 'reset-offsets', 'billing', '--topic', 'orders', '--to-latest', ...d])
  expect(plan).toMatch(/^GROUP\s+TOPIC\s+PARTITION\s+CURRENT\s+NEW\n/)
  expect((await json<Lag[]>(['groups', 'lag', 'billing', ...d])).reduce((n, l) => n + l.lag, 0)).toBe(2)
  await ok(['groups', 'reset-offsets', 'billing', '--topic', 'orders', '--to-latest', '--execute', ...d])
  expect((await json<Lag[]>(['groups', 'lag', 'billing', ...d])).reduce((n, l) => n + l.lag, 0)).toBe(0)
  await ok(['groups', 'reset-offsets', 'billing', '--all-topics', '--to-offset', '0', '--execute', ...d])
  const fromZero = await json<Lag[]>(['groups', 'lag', 'billing', ...d])
  expect(fromZero.map((l) => l.committed)).toEqual([0, 0, 0])
  expect(fromZero.reduce((n, l) => n + l.lag, 0)).toBe(4)
  // --to-datetime after every message plans the log ends; --json shows the plan, still a dry run.
  type Plan = { executed: boolean; plan: Array<{ partition: number; current: number; next: number }> }
  const future = await json<Plan>(['groups', 'reset-offsets', 'billing', '--all-topics', '--to-datetime', '2100-01-01T00:00:00Z', ...d])
  expect(future.executed).toBe(false)
  expect(future.plan.map((p) => p.current)).toEqual([0, 0, 0])
  expect(future.plan.reduce((n, p) => n + p.next, 0)).toBe(4)
  const badReset = await tributary(['groups', 'reset-offsets', 'billing', '--topic', 'orders', '--to-datetime', 'soon', ...d])
  expect(badReset.code).toBe(2)
  expect(badReset.stderr).toMatch(/--to-datetime must be an ISO-8601 time/)

  await ok(['groups', 'delete', 'billing', ...d])
  expect(await json<unknown[]>(['groups', 'list', ...d])).toEqual([])

  await ok(['topics', 'alter-config', 'orders', '--set', 'cleanup.policy=compact', ...d])
  expect(await ok(['topics', 'describe', 'orders', ...d])).toMatch(/cleanup\.policy=compact/)
  await ok(['topics', 'delete', 'orders', ...d])
  expect(await json<unknown[]>(['topics', 'list', ...d])).toEqual([])
}, 400_000)

test('inspect and verify a data directory; verify names the damage, exits 1, and repairs only when asked', async () => {
  const d = join(root, 'damaged')
  await ok(['topics', 'create', 'logs', '--partitions', '1', '--dir', d])
  for (let i = 0; i < 3; i++) await ok(['produce', 'logs', '--dir', d], `line ${i}a\nline ${i}b\n`)

  type Inspection = { partitions: Array<{ topic: string; partition: number; endOffset: number; batches: number }> }
  const inspected = await json<Inspection>(['inspect', d])
  expect(inspected.partitions).toEqual([expect.objectContaining({ topic: 'logs', partition: 0, endOffset: 6 })])
  expect(await ok(['inspect', d])).toMatch(/logs\s+0\s+1\s+0\s+6\s+6/)
  expect(await ok(['verify', d])).toMatch(/^ok: 1 partitions, 3 batches checked/)

  // Flip a byte inside the last batch of the segment.
  const segment = (readdirSync(d, { recursive: true }) as string[])
    .map((f) => join(d, f))
    .find((f) => f.endsWith('.log') && statSync(f).size > 0 && !f.endsWith('offsets.log'))
  expect(segment).toBeDefined()
  const bytes = readFileSync(segment as string)
  bytes[bytes.length - 3] = (bytes[bytes.length - 3] as number) ^ 0xff
  writeFileSync(segment as string, bytes)

  const damaged = await tributary(['verify', d])
  expect(damaged.code).toBe(1)
  expect(damaged.stdout).toMatch(/^DAMAGE \S+\.log:\d+ \(logs-0\): /m)
  expect(damaged.stderr).toMatch(/nothing was changed/)
  expect(readFileSync(segment as string).equals(bytes)).toBe(true)

  const repaired = await tributary(['verify', d, '--truncate-corrupt-tail'])
  expect(repaired.code).toBe(0)
  expect(repaired.stderr).toMatch(/repaired /)
  expect(await ok(['verify', d])).toMatch(/^ok: 1 partitions, 2 batches checked/)
  expect(await ok(['consume', 'logs', '-b', '-e', '--dir', d])).toBe('line 0a\nline 0b\nline 1a\nline 1b\n')
}, 300_000)

test('bad usage exits 2, every command has --help with the exit codes, and completion scripts parse', async () => {
  const unknown = await tributary(['topics', 'frobnicate'])
  expect(unknown.code).toBe(2)
  const nowhere = await tributary(['topics', 'list'])
  expect(nowhere.code).toBe(2)
  expect(nowhere.stderr).toMatch(/say where to work/)
  const twoPlaces = await tributary(['topics', 'list', '--dir', dir, '--kafka', '127.0.0.1:9'])
  expect(twoPlaces.code).toBe(2)
  const missing = await tributary(['verify', join(root, 'no-such-dir')])
  expect(missing.code).not.toBe(0)

  for (const cmd of [[], ['topics', 'create'], ['groups', 'reset-offsets'], ['consume'], ['verify'], ['serve']]) {
    const help = await tributary([...cmd, '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/^Usage: tributary/)
    expect(help.stdout).toMatch(/Exit codes:\n\s+0 /)
  }

  const bash = await ok(['completion', 'bash'])
  expect(bash).toContain('-F _tributary tributary')
  const zsh = await ok(['completion', 'zsh'])
  expect(zsh).toContain('#compdef tributary')
  const bashCheck = await run('bash', ['-n'], { input: bash })
  expect(bashCheck).toMatchObject({ code: 0, stderr: '' })
  // The bash script completes subcommands and options when sourced.
  const completed = await run('bash', [
    '-c',
    `${bash}\nCOMP_WORDS=(tributary groups re); COMP_CWORD=2; _tributary; echo "\${COMPREPLY[@]}"`,
  ])
  expect(completed.stdout.trim()).toBe('reset-offsets')
}, 300_000)

test('a SQLite file: create, produce, consume, inspect and verify', async () => {
  const file = join(root, 'store.db')
  const q = ['--sqlite', file]
  await ok(['topics', 'create', 'events', '--partitions', '2', ...q])
  await ok(['produce', 'events', '-p', '1', ...q], 'one\ntwo\nthree\n')
  expect(await ok(['consume', 'events', '-b', '-e', '-f', '%p:%o:%v\\n', ...q])).toBe('1:0:one\n1:1:two\n1:2:three\n')
  const inspected = await json<{ kind: string; partitions: Array<{ partition: number; endOffset: number }> }>(['inspect', file])
  expect(inspected.kind).toBe('sqlite')
  expect(inspected.partitions.map((p) => [p.partition, p.endOffset])).toEqual([
    [0, 0],
    [1, 3],
  ])
  expect(await ok(['verify', file])).toMatch(/^ok: 2 partitions, 1 batches checked/)
}, 300_000)

test('a cluster node over --brokers: topics, produce, a group consume and its lag', async () => {
  const port = await freePortPair()
  const node = start(NODE as string, [
    ...BIN,
    'serve',
    '--node-id',
    '1',
    '--listen',
    `127.0.0.1:${port}`,
    '--peers',
    '',
    '--dir',
    join(root, 'node-1'),
    '--kafka',
    '127.0.0.1:0',
    '--metrics',
    '127.0.0.1:0',
  ])
  try {
    await node.waitFor((_out, err) => err.includes('metrics on '), 60_000, 'the cluster node')
    const metrics = /metrics on (\S+)/.exec(node.stderr())?.[1] as string
    const b = ['--brokers', `127.0.0.1:${port}`]
    await ok(['topics', 'create', 'jobs', '--partitions', '2', ...b])
    await ok(['produce', 'jobs', '-K', '=', ...b], 'a=1\nb=2\nc=3\nd=4\n')
    expect(await ok(['topics', 'list', ...b])).toMatch(/jobs\s+2\s+1\s+4\n/)
    const read = await ok(['consume', 'jobs', '-b', '-g', 'workers', '-n', '4', '-f', '%k=%v\\n', ...b])
    expect(read.trim().split('\n').sort()).toEqual(['a=1', 'b=2', 'c=3', 'd=4'])
    type Lag = { committed: number; end: number; lag: number }
    const lag = await json<Lag[]>(['groups', 'lag', 'workers', ...b])
    expect(lag.reduce((n, l) => n + l.committed, 0)).toBe(4)
    expect(lag.every((l) => l.lag === 0)).toBe(true)
    // The node counts what its Tributary-protocol clients wrote and read.
    const text = await (await fetch(metrics)).text()
    const sum = (name: string) =>
      text
        .split('\n')
        .filter((l) => l.startsWith(`${name}{`) && l.includes('topic="jobs"'))
        .reduce((n, l) => n + Number(l.split(' ').pop()), 0)
    expect(sum('tributary_messages_in_total')).toBe(4)
    expect(sum('tributary_messages_out_total')).toBe(4)
    expect(sum('kafka_consumergroup_lag')).toBe(0)
    expect(await node.stop('SIGTERM')).toBe(0)
  } finally {
    await node.stop('SIGKILL')
  }
}, 300_000)
