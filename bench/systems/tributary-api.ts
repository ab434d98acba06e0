import path from 'node:path'
import { SkipError } from '../lib/types'

/**
 * The slice of the Tributary API the bench drives, typed structurally here and loaded with a
 * dynamic import: the packages are being written alongside the bench, and a system whose API is
 * not there yet must be skipped with a note rather than break the whole run (or the repository's
 * typecheck).
 */

export interface MessageLike {
  key: Buffer | null
  value: Buffer | null
  partition?: number
}

export interface ProducerApi {
  connect?(): Promise<void>
  send(request: { topic: string; messages: MessageLike[]; acks?: number | 'all' }): Promise<unknown>
  disconnect?(): Promise<void>
}

export interface BatchPayload {
  batch: { messages: { value: Buffer | null }[] }
}

export interface MessagePayload {
  message: { value: Buffer | null }
}

export interface ConsumerApi {
  connect?(): Promise<void>
  subscribe(request: { topics: string[]; fromBeginning?: boolean }): Promise<void>
  run(handlers: {
    eachBatch?: (payload: BatchPayload) => Promise<void>
    eachMessage?: (payload: MessagePayload) => Promise<void>
  }): Promise<void>
  stream?(): AsyncIterableIterator<MessagePayload>
  stop?(): Promise<void>
  disconnect?(): Promise<void>
}

export interface AdminApi {
  connect?(): Promise<void>
  createTopics(request: { topics: { topic: string; numPartitions?: number }[] }): Promise<unknown>
  disconnect?(): Promise<void>
}

export interface TributaryApi {
  producer(options: Record<string, unknown>): ProducerApi
  consumer(options: Record<string, unknown>): ConsumerApi
  admin(): AdminApi
  close(): Promise<void>
}

/** StorageKind picks Tributary's storage: in memory, segment files, or one SQLite database. */
export type StorageKind = 'memory' | 'file' | 'sqlite'

/**
 * importOptional imports a workspace package by a non-literal specifier (so TypeScript does not
 * resolve it at typecheck time; tsx resolves it through tsconfig paths at run time) and throws
 * SkipError naming the missing export when the package or the export is not there yet.
 */
export async function importOptional(specifier: string, exportName: string): Promise<unknown> {
  let module: Record<string, unknown>
  try {
    module = (await import(specifier)) as Record<string, unknown>
  } catch (error) {
    throw new SkipError(`${specifier} not available: ${(error as Error).message.split('\n')[0]}`)
  }
  if (module[exportName] === undefined) throw new SkipError(`${specifier} does not export ${exportName} yet`)
  return module[exportName]
}

/** openTributary opens a Tributary instance over the chosen storage, with its data under `dir`. */
export async function openTributary(kind: StorageKind, dir: string): Promise<TributaryApi> {
  const Tributary = (await importOptional('@tributary/client', 'Tributary')) as { open(options?: object): Promise<TributaryApi> }
  if (kind === 'memory') return Tributary.open()
  if (kind === 'file') return Tributary.open({ dir: path.join(dir, 'tributary') })
  const SqliteStorage = (await importOptional('@tributary/storage-sqlite', 'SqliteStorage')) as new (options: { path: string }) => object
  return Tributary.open({ storage: new SqliteStorage({ path: path.join(dir, 'tributary.sqlite') }) })
}

/** createTopic creates `topic` with `numPartitions` partitions through the admin client. */
export async function createTopic(tb: TributaryApi, topic: string, numPartitions: number): Promise<void> {
  const admin = tb.admin()
  await admin.connect?.()
  await admin.createTopics({ topics: [{ topic, numPartitions }] })
  await admin.disconnect?.()
}
