import { consoleLogger, resolveLogger, silentLogger, toLogger, withFields, type KafkaJsLogEntry } from './logger'

describe('logger', () => {
  test('consoleLogger writes warn and error lines by default, with readable fields', () => {
    const lines: string[] = []
    const log = consoleLogger({ write: (l) => lines.push(l), nowMs: () => 0 })
    log.debug('hidden')
    log.info('hidden too')
    log.warn('closed a connection', { remote: '127.0.0.1:5000', reason: 'frame too large', apiKey: 3 })
    log.error('failed', { error: new Error('disk full') })
    expect(lines).toEqual([
      '1970-01-01T00:00:00.000Z WARN tributary: closed a connection remote=127.0.0.1:5000 reason="frame too large" apiKey=3',
      '1970-01-01T00:00:00.000Z ERROR tributary: failed error="disk full"',
    ])
  })

  test('consoleLogger level debug writes every level', () => {
    const lines: string[] = []
    const log = consoleLogger({ level: 'debug', write: (l) => lines.push(l), name: 'kafka' })
    log.debug('d')
    log.info('i', { n: 1 })
    expect(lines.map((l) => l.replace(/^\S+ /, ''))).toEqual(['DEBUG kafka: d', 'INFO kafka: i n=1'])
  })

  test('a pino-style logger is called fields first', () => {
    const calls: unknown[][] = []
    const pino = {
      levels: { values: {} },
      child: () => pino,
      error: (...a: unknown[]) => calls.push(['error', ...a]),
      warn: (...a: unknown[]) => calls.push(['warn', ...a]),
      info: (...a: unknown[]) => calls.push(['info', ...a]),
      debug: (...a: unknown[]) => calls.push(['debug', ...a]),
    }
    toLogger(pino).warn('insecure listener', { host: '0.0.0.0' })
    expect(calls).toEqual([['warn', { host: '0.0.0.0' }, 'insecure listener']])
  })

  test('a Tributary-shaped logger is used as it is, withFields adds context', () => {
    const seen: unknown[] = []
    const mine = { ...silentLogger, info: (m: string, f?: object) => seen.push([m, f]) }
    expect(toLogger(mine)).toBe(mine)
    withFields(mine, { conn: 7 }).info('hello', { apiKey: 1 })
    expect(seen).toEqual([['hello', { conn: 7, apiKey: 1 }]])
  })

  test('a KafkaJS logCreator gets KafkaJS levels and entries; debug is not passed on', () => {
    const entries: KafkaJsLogEntry[] = []
    const log = toLogger((level) => {
      expect(level).toBe(4)
      return (entry) => entries.push(entry)
    })
    log.debug('noise')
    log.error('boom', { topic: 't' })
    expect(entries).toHaveLength(1)
    expect(entries[0]).toMatchObject({ level: 1, label: 'ERROR', namespace: 'tributary', log: { message: 'boom', topic: 't' } })
  })

  test('toLogger rejects what is not a logger', () => {
    expect(() => toLogger({ warn() {} } as never)).toThrow(TypeError)
  })
})

describe('resolveLogger', () => {
  test('no logger: stderr at logLevel; a given logger is filtered at logLevel; a logCreator is set up at the matching KafkaJS level', () => {
    const seen: string[] = []
    const mine = {
      error: (m: string) => seen.push(`E ${m}`),
      warn: (m: string) => seen.push(`W ${m}`),
      info: (m: string) => seen.push(`I ${m}`),
      debug: (m: string) => seen.push(`D ${m}`),
    }
    const filtered = resolveLogger({ logger: mine, logLevel: 'warn' })
    filtered.info('dropped')
    filtered.warn('kept')
    expect(seen).toEqual(['W kept'])
    expect(resolveLogger({ logger: mine })).toBe(mine)
    let asked = -1
    const entries: KafkaJsLogEntry[] = []
    const fromCreator = resolveLogger({
      logger: (level) => {
        asked = level
        return (e) => entries.push(e)
      },
      logLevel: 'debug',
    })
    fromCreator.debug('d')
    expect(asked).toBe(5)
    expect(entries.map((e) => e.label)).toEqual(['DEBUG'])
    expect(() => resolveLogger({ logLevel: 'loud' as 'warn' })).toThrow(TypeError)
  })
})
