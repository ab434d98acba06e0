import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import parsePrometheus from 'parse-prometheus-text-format'
import { start as startChild, run } from '@tributary/core/testing'
import { tributaryCommand } from '../testing-bin'

/*
 * `tributary serve` as a process: the one stdout line once listening, kcat produces and consumes,
 * SIGTERM closes it cleanly (exit 0, the directory lock released: a second serve opens the same
 * directory and finds the data). With --ui and --metrics: the `tributary` commands work on the
 * running node (--kafka) and on its locked directory (read from disk), /metrics parses as
 * Prometheus text (an independent parser) with counters that match what was produced and
 * consumed, and the console's API shows the same.
 */

const [NODE, ...BIN] = tributaryCommand()

function serveProcess(dir: string) {
  return startChild(NODE as string, [...BIN, 'serve', '--dir', dir, '--kafka', '127.0.0.1:0', '--log-level', 'warn'])
}

test('tributary serve: listens, serves kcat, closes cleanly on SIGTERM and reopens its data', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-serve-'))
  try {
    const first = serveProcess(dir)
    await first.waitFor((out) => /kafka listening on 127\.0\.0\.1:\d+\n/.test(out), 30_000, 'the listening line')
    const address = /kafka listening on (\S+)/.exec(first.stdout())?.[1] as string
    expect(first.stdout()).toBe(`kafka listening on ${address}\n`)
    const produced = await run('kcat', ['-b', address, '-P', '-t', 'events', '-K:'], { input: 'a:1\nb:2\n' })
    expect(produced.code).toBe(0)
    expect(await first.stop('SIGTERM')).toBe(0)

    const second = serveProcess(dir)
    await second.waitFor((out) => out.includes('kafka listening on'), 30_000, 'the listening line')
    const again = /kafka listening on (\S+)/.exec(second.stdout())?.[1] as string
    const consumed = await run('kcat', ['-b', again, '-C', '-t', 'events', '-o', 'beginning', '-e', '-q', '-f', '%k=%s\\n'])
    expect(consumed.stdout).toBe('a=1\nb=2\n')
    expect(await second.stop('SIGINT')).toBe(0)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}, 90_000)

test('tributary serve refuses contradictory flags with the flag named', async () => {
  const r = await run(NODE as string, [...BIN, 'serve', '--storage', 'sqlite', '--kafka', '127.0.0.1:0'])
  expect(r.code).toBe(2) // bad usage (EXIT_CODES.USAGE)
  expect(r.stderr).toMatch(/--path is required with --storage sqlite.*\[INVALID_CONFIG\]/)
})

/** cli runs a `tributary` command to its end and returns its stdout, failing on a non-zero exit. */
async function cli(args: string[], input?: string): Promise<string> {
  const r = await run(NODE as string, [...BIN, ...args], { input: input ?? '', timeoutMs: 60_000 })
  if (r.code !== 0) throw new Error(`tributary ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
  return r.stdout
}

type Family = ReturnType<typeof parsePrometheus>[number]

/** total sums a family's samples whose labels include `labels`. */
function total(families: Family[], name: string, labels: Record<string, string>): number {
  const family = families.find((f) => f.name === name)
  if (family === undefined) throw new Error(`no metric ${name} in /metrics`)
  return family.metrics
    .filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
    .reduce((n, m) => n + Number(m.value ?? m.count), 0)
}

test('tributary serve --ui --metrics: the CLI on the running node and its locked directory, /metrics counters, the console', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-serve-observe-'))
  const node = startChild(NODE as string, [
    ...BIN,
    'serve',
    '--dir',
    dir,
    '--kafka',
    '127.0.0.1:0',
    '--ui',
    '127.0.0.1:0',
    '--metrics',
    '127.0.0.1:0',
  ])
  try {
    await node.waitFor((_out, err) => err.includes('metrics on ') && err.includes('console on '), 30_000, 'the console and metrics lines')
    const kafka = /kafka listening on (\S+)/.exec(node.stdout())?.[1] as string
    const ui = /console on (\S+)/.exec(node.stderr())?.[1] as string
    const metrics = /metrics on (\S+)/.exec(node.stderr())?.[1] as string
    expect(metrics).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
    const k = ['--kafka', kafka]

    await cli(['topics', 'create', 'events', '--partitions', '2', ...k])
    const lines = Array.from({ length: 7 }, (_, i) => `user-${i % 3}:event ${i}`)
    await cli(['produce', 'events', '-K', ':', ...k], `${lines.join('\n')}\n`)
    const consumed = await cli(['consume', 'events', '--from-beginning', '--group', 'audit', '--max-messages', '7', '-f', '%k:%v\\n', ...k])
    expect(consumed.trim().split('\n').sort()).toEqual([...lines].sort())
    const lag = JSON.parse(await cli(['groups', 'lag', 'audit', '--json', ...k])) as Array<{ lag: number; committed: number }>
    expect(lag.map((l) => l.lag)).toEqual([0, 0])
    expect(lag.reduce((n, l) => n + l.committed, 0)).toBe(7)

    // The directory is locked by the node; read-only commands read it from disk.
    expect(await cli(['topics', 'list', '--dir', dir])).toMatch(/events\s+2\s+1\s+7\n/)
    const locked = await run(NODE as string, [...BIN, 'topics', 'create', 'other', '--dir', dir])
    expect(locked.code).toBe(3)
    expect(locked.stderr).toMatch(/STORAGE_LOCKED/)

    // Three more messages from kcat, which nobody reads: the group lags by 3.
    expect((await run('kcat', ['-b', kafka, '-P', '-t', 'events'], { input: 'x\ny\nz\n' })).code).toBe(0)

    const res = await fetch(metrics)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    const families = parsePrometheus(await res.text())
    const events = { topic: 'events' }
    expect(total(families, 'tributary_messages_in_total', events)).toBe(10)
    expect(total(families, 'tributary_messages_out_total', events)).toBe(7)
    expect(total(families, 'tributary_partition_end_offset', events)).toBe(10)
    expect(total(families, 'kafka_topic_partition_current_offset', events)).toBe(10)
    expect(total(families, 'kafka_topic_partitions', events)).toBe(2)
    expect(total(families, 'kafka_brokers', {})).toBe(1)
    expect(total(families, 'kafka_consumergroup_lag', { consumergroup: 'audit', topic: 'events' })).toBe(3)
    expect(total(families, 'kafka_consumergroup_lag_sum', { consumergroup: 'audit', topic: 'events' })).toBe(3)
    expect(total(families, 'kafka_consumergroup_current_offset_sum', { consumergroup: 'audit', topic: 'events' })).toBe(7)
    expect(families.find((f) => f.name === 'tributary_messages_in_total')?.type).toBe('COUNTER')
    const produceLatency = families.find((f) => f.name === 'tributary_produce_latency_seconds')
    expect(produceLatency?.type).toBe('HISTOGRAM')
    expect(Number(produceLatency?.metrics[0]?.count)).toBeGreaterThanOrEqual(2)
    expect(families.some((f) => f.name === 'process_cpu_seconds_total')).toBe(true)
    expect((await fetch(metrics.replace('/metrics', '/other'))).status).toBe(404)

    // The console: its page, and the topic with its ten messages and the group's lag.
    const page = await fetch(ui)
    expect(await page.text()).toContain('<title>Tributary console</title>')
    const topics = (await (await fetch(`${ui}api/topics`)).json()) as Array<{ name: string; messages: number }>
    expect(topics.find((t) => t.name === 'events')?.messages).toBe(10)
    const groups = (await (await fetch(`${ui}api/groups`)).json()) as Array<{ groupId: string; lag: number }>
    expect(groups.find((g) => g.groupId === 'audit')?.lag).toBe(3)
    const readOnly = await fetch(`${ui}api/topics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tributary-action': '1' },
      body: '{"topic":"nope"}',
    })
    expect(readOnly.status).toBe(403)

    expect(await node.stop('SIGTERM')).toBe(0)
  } finally {
    await node.stop('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
}, 180_000)
