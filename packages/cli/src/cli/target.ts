import { statSync } from 'node:fs'
import { type Command, Option } from 'commander'
import { Tributary } from '@tributary/client'
import { LOG_LEVELS, type LogLevel, type Logger, consoleLogger, isTributaryError } from '@tributary/core'
import { SqliteStorage } from '@tributary/storage-sqlite'
import { UsageError } from './exit-codes'

/*
 * Where a command works: a data directory (file storage) or SQLite file opened in this process,
 * taking the storage lock as any Tributary does, or a running node or cluster reached over the
 * network (Tributary's own protocol with --brokers, the Kafka protocol with --kafka).
 */

/** TargetFlags are the flags every command that reads or changes data takes. */
export interface TargetFlags {
  dir?: string
  sqlite?: string
  brokers?: string
  kafka?: string
  logLevel: LogLevel
  json?: boolean
}

/** addTargetOptions adds --dir, --sqlite, --brokers, --kafka, --log-level and --json to `cmd`. */
export function addTargetOptions(cmd: Command): Command {
  return cmd
    .option('--dir <dir>', 'a data directory (file storage), opened in this process')
    .option('--sqlite <file>', 'a SQLite storage file, opened in this process')
    .option('--brokers <list>', "running cluster nodes' client addresses, HOST:PORT,… (Tributary's protocol)")
    .option('--kafka <list>', 'running Kafka listeners, HOST:PORT,… (tributary serve, or any Kafka cluster)')
    .addOption(new Option('--log-level <level>', 'least severe level logged on stderr').choices([...LOG_LEVELS]).default('warn'))
    .option('--json', 'print JSON for scripts instead of tables')
}

/** Target is an opened place to work on. */
export interface Target {
  tb: Tributary
  /** 'dir', 'sqlite', 'brokers' or 'kafka'. */
  kind: 'dir' | 'sqlite' | 'brokers' | 'kafka'
  /** Where, as given. */
  where: string
  logger: Logger
  close(): Promise<void>
}

/** cliLogger is the logger commands use: readable lines on stderr at --log-level. */
export function cliLogger(flags: { logLevel?: LogLevel }): Logger {
  return consoleLogger({ level: flags.logLevel ?? 'warn', name: 'tributary' })
}

/**
 * openTarget opens the one place the flags name.
 * @throws UsageError when none or several are named; TributaryError STORAGE_LOCKED for a storage a live process holds.
 */
export async function openTarget(flags: TargetFlags): Promise<Target> {
  const given = (['dir', 'sqlite', 'brokers', 'kafka'] as const).filter((k) => flags[k] !== undefined)
  if (given.length === 0) throw new UsageError('say where to work: --dir DIR, --sqlite FILE, --brokers HOST:PORT,… or --kafka HOST:PORT,…')
  if (given.length > 1) throw new UsageError(`--${given[0]} and --${given[1]} cannot be combined: name one place to work on`)
  const kind = given[0] as Target['kind']
  const where = flags[kind] as string
  const logger = cliLogger(flags)
  const tb = await openTributary(kind, where, logger)
  return { tb, kind, where, logger, close: () => tb.close() }
}

function openTributary(kind: Target['kind'], where: string, logger: Logger): Promise<Tributary> {
  const common = { clientId: 'tributary-cli', logger }
  switch (kind) {
    case 'dir':
      if (isFile(where)) throw new UsageError(`--dir ${where} is a file; for a SQLite file use --sqlite`)
      return Tributary.open({ ...common, dir: where })
    case 'sqlite':
      return Tributary.open({ ...common, storage: new SqliteStorage({ path: where }) })
    case 'brokers':
      return Tributary.connect({ ...common, brokers: splitList('--brokers', where) })
    case 'kafka':
      return Tributary.connect({ ...common, kafka: { brokers: splitList('--kafka', where), clientId: 'tributary-cli' } })
  }
}

/** isLocked tells whether an error is a storage held by another live process. */
export function isLocked(error: unknown): boolean {
  return isTributaryError(error, 'STORAGE_LOCKED')
}

/** splitList reads 'a,b,c' (no empty entries). */
export function splitList(flag: string, value: string): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  if (items.length === 0) throw new UsageError(`${flag} needs at least one HOST:PORT`)
  return items
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/** parseIntArg reads a whole number flag or argument, or throws UsageError naming it. */
export function parseIntArg(name: string, value: string, min = 0): number {
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${name} must be a whole number ≥ ${min}, got ${value}`)
  return n
}

/** collect is commander's accumulator for repeatable flags. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value]
}

/** parseKeyValue reads 'k=v' (v may contain '='). */
export function parseKeyValue(flag: string, item: string): [string, string] {
  const at = item.indexOf('=')
  if (at <= 0) throw new UsageError(`${flag} takes KEY=VALUE, got ${item}`)
  return [item.slice(0, at), item.slice(at + 1)]
}
