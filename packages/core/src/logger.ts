/*
 * One logger interface for every package. Tributary logs rarely and only what an operator acts
 * on (a connection closed for a bad frame, an insecure listener, a failed authentication): a
 * message in plain words plus structured fields, at one of four levels.
 *
 * Applications pass their own logger: anything with Tributary's shape, a pino-style logger
 * (`logger.warn({ fields }, 'message')`, detected by its `levels` and `child`), or a KafkaJS
 * `logCreator`. Without one, `defaultLogger()` writes warn and error lines to stderr. Core does no
 * I/O of its own except through `console`, which every JavaScript runtime has.
 *
 * Extending it (metrics of log volume, more levels, per-module levels) should add to this file,
 * not replace the interface: packages only ever call the four methods and `withFields`.
 *
 * Every part that takes options (`Tributary`, `ClusterNode`, `KafkaServer`, `FileStorage`) takes
 * the pair `{ logger, logLevel }` and turns it into a Logger with `resolveLogger`: without a
 * logger, lines at `logLevel` (default warn) and above go to stderr; with one, lines below
 * `logLevel` are dropped before they reach it (when `logLevel` is given).
 */

/** LogLevel orders the levels from most to least severe. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug'

/** LOG_LEVELS lists the levels, most severe first. */
export const LOG_LEVELS: readonly LogLevel[] = Object.freeze(['error', 'warn', 'info', 'debug'])

/** LogFields are the structured context of one line: `{ remote: '127.0.0.1:53122', apiKey: 0 }`. */
export type LogFields = Readonly<Record<string, unknown>>

/** Logger is what every package logs through: a message in words and its structured fields. */
export interface Logger {
  error(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  info(message: string, fields?: LogFields): void
  debug(message: string, fields?: LogFields): void
}

/** PinoLikeLogger is a pino (or bunyan) logger: fields first, then the message. */
export interface PinoLikeLogger {
  error(fields: object, message?: string): void
  warn(fields: object, message?: string): void
  info(fields: object, message?: string): void
  debug(fields: object, message?: string): void
  child(bindings: object): unknown
  levels: object
}

/** KafkaJsLogEntry is what a KafkaJS `logCreator`'s function receives for one line. */
export interface KafkaJsLogEntry {
  namespace: string
  level: number
  label: string
  log: { message: string; timestamp: string; [field: string]: unknown }
}

/** KafkaJsLogCreator is KafkaJS's `logCreator` option: `(logLevel) => (entry) => void`. */
export type KafkaJsLogCreator = (logLevel: number) => (entry: KafkaJsLogEntry) => void

/** LoggerInput is every form a `logger` option accepts. */
export type LoggerInput = Logger | PinoLikeLogger | KafkaJsLogCreator

/** ConsoleLoggerOptions tune `consoleLogger`. */
export interface ConsoleLoggerOptions {
  /** The least severe level written. Default 'warn'. */
  level?: LogLevel
  /** Where lines go. Default `console.error` (stderr in Node). */
  write?: (line: string) => void
  /** Prefix of every line, e.g. 'tributary'. Default 'tributary'. */
  name?: string
  /** Time source for the line's timestamp. Default Date.now. */
  nowMs?: () => number
}

/**
 * consoleLogger writes one readable line per entry at `level` or more severe:
 * `2024-05-01T10:00:00.000Z WARN tributary: closed a connection remote=127.0.0.1:5000 reason="frame too large"`.
 */
export function consoleLogger(options: ConsoleLoggerOptions = {}): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level ?? 'warn')
  const write = options.write ?? ((line: string) => console.error(line))
  const name = options.name ?? 'tributary'
  const nowMs = options.nowMs ?? Date.now
  const at = (level: LogLevel) => {
    if (LOG_LEVELS.indexOf(level) > threshold) return noop
    const label = level.toUpperCase()
    return (message: string, fields?: LogFields) =>
      write(`${new Date(nowMs()).toISOString()} ${label} ${name}: ${message}${formatFields(fields)}`)
  }
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') }
}

/** silentLogger drops everything (for tests that provoke errors on purpose). */
export const silentLogger: Logger = Object.freeze({ error: noop, warn: noop, info: noop, debug: noop })

let fallback: Logger | null = null

/** defaultLogger is the logger used when none is given: warn and error lines on stderr. */
export function defaultLogger(): Logger {
  fallback ??= consoleLogger()
  return fallback
}

/**
 * toLogger turns any accepted `logger` option into a Logger: undefined gives `defaultLogger()`,
 * a pino-style logger is called fields-first, a KafkaJS logCreator gets KafkaJS's numeric levels
 * (ERROR 1, WARN 2, INFO 4; set up at INFO, as KafkaJS's default).
 * @throws TypeError for anything else (options validation reports it as INVALID_CONFIG).
 */
export function toLogger(input: LoggerInput | undefined): Logger {
  if (input === undefined) return defaultLogger()
  if (typeof input === 'function') return fromLogCreator(input)
  if (isPinoLike(input)) return fromPino(input)
  if (isLogger(input)) return input
  throw new TypeError('a logger must have error, warn, info and debug methods, or be a KafkaJS logCreator')
}

/** LoggerOptions is the `{ logger, logLevel }` pair that every part with options accepts. */
export interface LoggerOptions {
  /** Where lines go: a Tributary, pino-style or KafkaJS logCreator logger. Default: stderr. */
  logger?: LoggerInput
  /** The least severe level passed on: 'error', 'warn', 'info' or 'debug'. Default 'warn' (stderr); every level for a given logger. */
  logLevel?: LogLevel
}

/** isLogLevel tells whether `value` is one of the four level names. */
export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value)
}

/**
 * resolveLogger turns `{ logger, logLevel }` into a Logger: no logger writes `logLevel` (default
 * warn) and above to stderr, prefixed with `name`; a given logger gets every line at `logLevel`
 * and above (every line when `logLevel` is not given; a KafkaJS logCreator is set up at the
 * matching KafkaJS level, INFO by default).
 * @throws TypeError for a logger of no accepted form or an unknown level (options validation reports it as INVALID_CONFIG).
 */
export function resolveLogger(options: LoggerOptions = {}, name = 'tributary'): Logger {
  const { logger, logLevel } = options
  if (logLevel !== undefined && !isLogLevel(logLevel)) throw new TypeError(`logLevel must be one of ${LOG_LEVELS.join(', ')}`)
  if (logger === undefined)
    return logLevel === undefined && name === 'tributary' ? defaultLogger() : consoleLogger({ level: logLevel ?? 'warn', name })
  if (typeof logger === 'function') return fromLogCreator(logger, logLevel ?? 'info')
  const base = toLogger(logger)
  return logLevel === undefined ? base : atLevel(base, logLevel)
}

/** atLevel returns a logger that passes on only lines at `level` or more severe. */
export function atLevel(logger: Logger, level: LogLevel): Logger {
  const threshold = LOG_LEVELS.indexOf(level)
  const pass = (l: LogLevel) => (LOG_LEVELS.indexOf(l) > threshold ? noop : (m: string, f?: LogFields) => logger[l](m, f))
  return { error: pass('error'), warn: pass('warn'), info: pass('info'), debug: pass('debug') }
}

/** isLoggerInput tells whether `value` is something `toLogger` accepts. */
export function isLoggerInput(value: unknown): value is LoggerInput {
  return typeof value === 'function' || isLogger(value)
}

/** withFields returns a logger that adds `fields` to every line (a connection's remote address, a node id). */
export function withFields(logger: Logger, fields: LogFields): Logger {
  const wrap = (level: LogLevel) => (message: string, more?: LogFields) => logger[level](message, more ? { ...fields, ...more } : fields)
  return { error: wrap('error'), warn: wrap('warn'), info: wrap('info'), debug: wrap('debug') }
}

function isLogger(value: unknown): value is Logger {
  if (value === null || typeof value !== 'object') return false
  const v = value as Record<string, unknown>
  return LOG_LEVELS.every((level) => typeof v[level] === 'function')
}

function isPinoLike(value: unknown): value is PinoLikeLogger {
  if (!isLogger(value)) return false
  const v = value as unknown as Record<string, unknown>
  return typeof v.child === 'function' && v.levels !== null && typeof v.levels === 'object'
}

function fromPino(pino: PinoLikeLogger): Logger {
  const at = (level: LogLevel) => (message: string, fields?: LogFields) => pino[level]({ ...fields }, message)
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') }
}

const KAFKAJS_LEVELS: Record<LogLevel, number> = { error: 1, warn: 2, info: 4, debug: 5 }

/** A logCreator is set up at KafkaJS's default level, INFO, unless told otherwise: less severe lines are not passed on. */
function fromLogCreator(logCreator: KafkaJsLogCreator, least: LogLevel = 'info'): Logger {
  const log = logCreator(KAFKAJS_LEVELS[least])
  const threshold = LOG_LEVELS.indexOf(least)
  const at = (level: LogLevel) => {
    if (LOG_LEVELS.indexOf(level) > threshold) return noop
    return (message: string, fields?: LogFields) =>
      log({
        namespace: typeof fields?.namespace === 'string' ? fields.namespace : 'tributary',
        level: KAFKAJS_LEVELS[level],
        label: level.toUpperCase(),
        log: { ...fields, message, timestamp: new Date().toISOString() },
      })
  }
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') }
}

function formatFields(fields: LogFields | undefined): string {
  if (fields === undefined) return ''
  let out = ''
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue
    out += ` ${key}=${formatValue(value)}`
  }
  return out
}

function formatValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message)
  if (typeof value === 'string') return /^[\w.:/@-]+$/.test(value) ? value : JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value)
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

function noop(): void {}
