import { readAll, requireTool, run, type Served, serve, start } from './kit'

/*
 * kcat (librdkafka 2.0.2) against KafkaServer over a LocalBroker: metadata, 10,000 keyed messages
 * produced and consumed back in order, a consumer group across two kcat processes, headers.
 */

const KCAT = 'kcat'

describe('kcat against KafkaServer', () => {
  let s: Served
  beforeAll(() => requireTool(KCAT, 'apt-get install -y kcat'))
  beforeEach(async () => {
    s = await serve({ storage: 'file', broker: { numPartitions: 1 } })
  })
  afterEach(async () => {
    await s.close()
  })

  test('-L lists the broker, topics, partitions and leaders', async () => {
    await s.broker.createTopics([
      { topic: 'orders', numPartitions: 3 },
      { topic: 'audit', numPartitions: 1 },
    ])
    const r = await run(KCAT, ['-b', s.bootstrap, '-L', '-J'], { timeoutMs: 20_000 })
    expect(r.code).toBe(0)
    const meta = JSON.parse(r.stdout)
    expect(meta.brokers).toEqual([{ id: 0, name: s.bootstrap }])
    expect(meta.controllerid).toBe(0)
    const orders = meta.topics.find((t: { topic: string }) => t.topic === 'orders')
    expect(
      orders.partitions.map((p: { partition: number; leader: number; replicas: unknown; isrs: unknown }) => [
        p.partition,
        p.leader,
        p.replicas,
        p.isrs,
      ]),
    ).toEqual([
      [0, 0, [{ id: 0 }], [{ id: 0 }]],
      [1, 0, [{ id: 0 }], [{ id: 0 }]],
      [2, 0, [{ id: 0 }], [{ id: 0 }]],
    ])
    expect(meta.topics.map((t: { topic: string }) => t.topic).sort()).toEqual(['audit', 'orders'])
    expect(s.warnings).toEqual([])
  })

  test('-P writes 10,000 keyed messages that -C -o beginning -e reads back in order with their keys', async () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => `key-${i}:value-${i}`)
    // The topic does not exist: kcat's metadata request creates it (LEADER_NOT_AVAILABLE first, as Kafka).
    const produced = await run(KCAT, ['-b', s.bootstrap, '-P', '-t', 'keyed', '-K:', '-X', 'linger.ms=5'], {
      input: `${lines.join('\n')}\n`,
      timeoutMs: 60_000,
    })
    expect(produced.code).toBe(0)
    const consumed = await run(KCAT, ['-b', s.bootstrap, '-C', '-t', 'keyed', '-o', 'beginning', '-e', '-q', '-f', '%o %k:%s\\n'], {
      timeoutMs: 60_000,
    })
    expect(consumed.code).toBe(0)
    const got = consumed.stdout.trimEnd().split('\n')
    expect(got).toHaveLength(10_000)
    expect(got).toEqual(lines.map((l, i) => `${i} ${l}`))
    const stored = await readAll(s.broker, 'keyed', 0)
    expect(stored.map((r) => `${r.key}:${r.value}`)).toEqual(lines)
    expect(s.warnings).toEqual([])
  }, 120_000)

  test('headers round-trip through -P -H and -C %h', async () => {
    await s.broker.createTopics([{ topic: 'with-headers', numPartitions: 1 }])
    const p = await run(KCAT, ['-b', s.bootstrap, '-P', '-t', 'with-headers', '-K:', '-H', 'trace=abc-123', '-H', 'source=kcat'], {
      input: 'k1:v1\n',
    })
    expect(p.code).toBe(0)
    const c = await run(KCAT, ['-b', s.bootstrap, '-C', '-t', 'with-headers', '-o', 'beginning', '-e', '-q', '-f', '%k|%s|%h\\n'])
    expect(c.stdout.trim()).toBe('k1|v1|trace=abc-123,source=kcat')
    const [stored] = await readAll(s.broker, 'with-headers', 0)
    expect(stored?.headers).toEqual({ trace: 'abc-123', source: 'kcat' })
  })

  test('-G: two kcat processes in one group share the partitions and together read everything once', async () => {
    await s.broker.createTopics([{ topic: 'shared', numPartitions: 4 }])
    const group = ['-b', s.bootstrap, '-u', '-G', 'kcat-group', '-f', '%p %o %s\\n', '-X', 'auto.offset.reset=earliest', 'shared']
    const a = start(KCAT, group)
    const b = start(KCAT, group)
    try {
      const assigned = (err: string) => /assigned:.*shared/.test(err)
      await a.waitFor((_, err) => assigned(err), 30_000, 'kcat A assignment')
      await b.waitFor((_, err) => assigned(err), 30_000, 'kcat B assignment')
      // Both hold partitions of the same generation once neither reports a later rebalance.
      const messages = Array.from({ length: 400 }, (_, i) => `m${i}`)
      const p = await run(KCAT, ['-b', s.bootstrap, '-P', '-t', 'shared', '-K:'], {
        input: messages.map((m, i) => `k${i}:${m}`).join('\n'),
      })
      expect(p.code).toBe(0)
      const total = () => a.stdout().split('\n').filter(Boolean).length + b.stdout().split('\n').filter(Boolean).length
      await a.waitFor(() => total() >= messages.length, 30_000, 'every message consumed')
      const rows = (out: string) =>
        out
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split(' '))
      const ra = rows(a.stdout())
      const rb = rows(b.stdout())
      expect(ra.length).toBeGreaterThan(0)
      expect(rb.length).toBeGreaterThan(0)
      const partitionsA = new Set(ra.map((r) => r[0]))
      const partitionsB = new Set(rb.map((r) => r[0]))
      expect([...partitionsA].filter((p) => partitionsB.has(p))).toEqual([])
      expect([...ra, ...rb].map((r) => r[2]).sort()).toEqual([...messages].sort())
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
  }, 90_000)
})
