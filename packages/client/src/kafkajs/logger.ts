/**
 * KafkaJS's logging contract: `logLevel` numbers, a `logCreator(level)` that returns the function
 * receiving each `{ namespace, level, label, log }` entry, and loggers with `namespace()` and
 * `setLogLevel()`. The KAFKAJS_LOG_LEVEL environment variable overrides the configured level, as
 * in KafkaJS.
 */

/** logLevel holds KafkaJS's level numbers. */
export const logLevel = Object.freeze({ NOTHING: 0, ERROR: 1, WARN: 2, INFO: 4, DEBUG: 5 } as const)
export type LogLevel = (typeof logLevel)[keyof typeof logLevel]

/** LogEntry is one log line as a logCreator's function receives it. */
export interface LogEntry {
  namespace: string
  level: LogLevel
  label: string
  log: { timestamp: string; message: string; [key: string]: unknown }
}

/** LogCreator is KafkaJS's `logCreator`: called once with the level, it returns the line writer. */
export type LogCreator = (level: LogLevel) => (entry: LogEntry) => void

/** Logger is what `kafka.logger()` and `client.logger()` return. */
export interface Logger {
  info(message: string, extra?: object): void
  error(message: string, extra?: object): void
  warn(message: string, extra?: object): void
  debug(message: string, extra?: object): void
  namespace(namespace: string, level?: LogLevel): Logger
  setLogLevel(level: LogLevel): void
}

/** consoleLogCreator writes JSON lines to the console, as KafkaJS's default logger does. */
export const consoleLogCreator: LogCreator =
  () =>
  ({ namespace, level, label, log }) => {
    const line = JSON.stringify({ level: label, ...log, message: `${namespace ? `[${namespace}] ` : ''}${log.message}` })
    if (level === logLevel.ERROR) console.error(line)
    else if (level === logLevel.WARN) console.warn(line)
    else if (level === logLevel.INFO) console.info(line)
    else if (level === logLevel.DEBUG) console.log(line)
  }

function envLevel(fallback: LogLevel): LogLevel {
  const name = (process.env.KAFKAJS_LOG_LEVEL ?? '').toUpperCase()
  return Object.hasOwn(logLevel, name) ? logLevel[name as keyof typeof logLevel] : fallback
}

const LABELS: ReadonlyArray<[keyof Logger & ('info' | 'error' | 'warn' | 'debug'), string, LogLevel]> = [
  ['error', 'ERROR', logLevel.ERROR],
  ['warn', 'WARN', logLevel.WARN],
  ['info', 'INFO', logLevel.INFO],
  ['debug', 'DEBUG', logLevel.DEBUG],
]

/**
 * createLogger builds the root logger of a `Kafka`: `logCreator` is called once, with the starting
 * level; entries above the current level are dropped before anything is built.
 */
export function createLogger(level: LogLevel, logCreator: LogCreator): Logger {
  const root = { level: envLevel(level) }
  const write = logCreator(root.level)
  const make = (namespace: string | undefined, own: LogLevel | null): Logger => {
    const current = (): number => own ?? root.level
    const logger = {
      namespace: (ns: string, nsLevel?: LogLevel) => make(ns, nsLevel === undefined ? null : envLevel(nsLevel)),
      setLogLevel: (next: LogLevel) => {
        root.level = next
      },
    } as Logger
    for (const [method, label, value] of LABELS) {
      logger[method] = (message: string, extra: object = {}) => {
        if (value > current()) return
        // The root logger's namespace is undefined at run time, as in KafkaJS (whose types say string).
        write({
          namespace: namespace as string,
          level: value,
          label,
          log: { timestamp: new Date().toISOString(), logger: 'kafkajs', message, ...extra },
        })
      }
    }
    return logger
  }
  return make(undefined, null)
}
