import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { TributaryError } from '@tributary/core'
import { makeBatch, makeRecords } from '@tributary/core/testing'
import { openDatabase } from './database'
import { resolveSqliteOptions } from './options'
import { migrate, SCHEMA_VERSION } from './schema'
import { SEGMENT_STATS_SQL } from './statements'
import { SqliteStorage } from './sqlite-storage'

const CONFIG = { segmentBytes: 64 * 1024, segmentMs: 3_600_000, indexIntervalBytes: 4096 }
const REPO_ROOT = resolve(__dirname, '../../..')

let dir: string
let path: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-sqlite-db-'))
  path = join(dir, 'tributary.db')
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

/** openError opens a storage at `path` and returns the error it throws (failing if it opens). */
async function openError(options: { checkOnOpen?: 'none' | 'quick' } = {}): Promise<TributaryError> {
  const storage = new SqliteStorage({ path, ...options })
  try {
    await storage.open()
  } catch (err) {
    expect(err).toBeInstanceOf(TributaryError)
    return err as TributaryError
  }
  await storage.close()
  throw new Error('open() succeeded on a database that should have been refused')
}

/** writeSomeData fills a database with a few partitions' worth of batches, then closes it. */
async function writeSomeData(): Promise<void> {
  const storage = new SqliteStorage({ path })
  await storage.open()
  for (let p = 0; p < 4; p++) {
    const log = storage.partitionLog({ topic: 'orders', partition: p }, CONFIG)
    for (let i = 0; i < 50; i++) log.append(makeBatch(makeRecords(`p${p}-${i}`, 20)))
  }
  await storage.saveMetadata({ version: 1, clusterId: 'c', topics: [], nextProducerId: 0 })
  await storage.close()
}

describe('opening a damaged or foreign database', () => {
  it('a file whose header was overwritten gives KAFKA_STORAGE_ERROR naming the file, not a crash', async () => {
    await writeSomeData()
    const bytes = readFileSync(path)
    bytes.fill(0x5a, 0, 100)
    writeFileSync(path, bytes)
    const err = await openError()
    expect(err.code).toBe('KAFKA_STORAGE_ERROR')
    expect(err.message).toContain(path)
    expect(err.message).toMatch(/not a SQLite database|damaged/)
    expect(err.details.sqliteCode).toBe('SQLITE_NOTADB')
    expect(err.cause).toBeDefined()
  })

  it('a file of garbage gives KAFKA_STORAGE_ERROR', async () => {
    writeFileSync(path, Buffer.alloc(64 * 1024, 0xab))
    expect((await openError()).code).toBe('KAFKA_STORAGE_ERROR')
  })

  it('a file with damaged B-tree pages is reported by checkOnOpen: quick as KAFKA_STORAGE_ERROR', async () => {
    await writeSomeData()
    const bytes = readFileSync(path)
    const pageSize = bytes.readUInt16BE(16) === 1 ? 65536 : bytes.readUInt16BE(16)
    // Scribble over every page after the first two (schema pages stay readable).
    for (let pos = 2 * pageSize; pos < bytes.length; pos += pageSize) bytes.fill(0xee, pos, pos + 64)
    writeFileSync(path, bytes)
    const err = await openError({ checkOnOpen: 'quick' })
    expect(err.code).toBe('KAFKA_STORAGE_ERROR')
    expect(err.message).toMatch(/damaged/)
  })

  it('a file cut in half is refused or reports damage on first access, never a crash', async () => {
    await writeSomeData()
    const size = statSync(path).size
    writeFileSync(path, readFileSync(path).subarray(0, Math.floor(size / 2)))
    const storage = new SqliteStorage({ path })
    try {
      await storage.open()
      const log = storage.partitionLog({ topic: 'orders', partition: 3 }, CONFIG)
      log.read(log.startOffset(), 1 << 20)
      throw new Error('reading a truncated database succeeded')
    } catch (err) {
      expect(err).toBeInstanceOf(TributaryError)
      expect(['KAFKA_STORAGE_ERROR', 'CORRUPT_MESSAGE']).toContain((err as TributaryError).code)
    } finally {
      await storage.close()
    }
  })

  it('a SQLite database that is not Tributary’s gives KAFKA_STORAGE_ERROR and is left unchanged', async () => {
    const other = new Database(path)
    other.exec('CREATE TABLE users (name TEXT)')
    other.close()
    const err = await openError()
    expect(err.code).toBe('KAFKA_STORAGE_ERROR')
    expect(err.message).toMatch(/not a Tributary one/)
    const again = new Database(path)
    expect(again.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all()).toEqual(['users'])
    again.close()
  })
})

describe('schema versions', () => {
  it('a new database records the current schema version', async () => {
    await writeSomeData()
    const db = new Database(path, { readonly: true })
    expect(db.prepare('SELECT max(version) FROM tributary_schema').pluck().get()).toBe(SCHEMA_VERSION)
    db.close()
  })

  it('a version 1 database opens as version 2 with its batches intact and segment totals read from batches_meta', async () => {
    await writeSomeData()
    const v1 = new Database(path)
    v1.exec('DROP INDEX batches_meta')
    v1.prepare('DELETE FROM tributary_schema WHERE version > 1').run()
    v1.close()
    const storage = new SqliteStorage({ path })
    await storage.open()
    const log = storage.partitionLog({ topic: 'orders', partition: 2 }, CONFIG)
    expect(log.endOffset()).toBe(50 * 20)
    const sizeBytes = log.sizeBytes()
    expect(sizeBytes).toBeGreaterThan(0)
    expect(log.read(0, 1 << 20).length).toBeGreaterThan(0)
    await storage.close()
    const db = new Database(path, { readonly: true })
    expect(db.prepare('SELECT max(version) FROM tributary_schema').pluck().get()).toBe(SCHEMA_VERSION)
    expect(db.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = 'batches_meta'").pluck().get()).toBe(1)
    expect(
      db
        .prepare('SELECT sum(size_bytes) FROM batches WHERE partition_id = (SELECT id FROM partitions WHERE partition_index = 2)')
        .pluck()
        .get(),
    ).toBe(sizeBytes)
    db.close()
  })

  it('segment totals are computed from batches_meta, never by reading the batch rows', () => {
    const db = new Database(':memory:')
    migrate(db, ':memory:', 0)
    const plan = db
      .prepare(`EXPLAIN QUERY PLAN ${SEGMENT_STATS_SQL}`)
      .all({ pid: 1 })
      .map((r) => (r as { detail: string }).detail)
    expect(plan.some((d) => /SEARCH b USING COVERING INDEX batches_meta/.test(d))).toBe(true)
    db.close()
  })

  it('a database of a newer schema gives UNSUPPORTED_VERSION and is left unchanged', async () => {
    await writeSomeData()
    const db = new Database(path)
    db.prepare('INSERT INTO tributary_schema (version, description, applied_at_ms) VALUES (?, ?, ?)').run(
      SCHEMA_VERSION + 1,
      'from the future',
      0,
    )
    db.close()
    const before = readFileSync(path)
    const err = await openError()
    expect(err.code).toBe('UNSUPPORTED_VERSION')
    expect(err.message).toMatch(new RegExp(`schema version ${SCHEMA_VERSION + 1}, newer than ${SCHEMA_VERSION}`))
    expect(readFileSync(path).equals(before)).toBe(true)
  })
})

describe('one writer at a time', () => {
  it('a second SqliteStorage in the same process gets STORAGE_LOCKED; after close it opens', async () => {
    const first = new SqliteStorage({ path })
    await first.open()
    const err = await openError()
    expect(err.code).toBe('STORAGE_LOCKED')
    expect(err.message).toContain(path)
    await first.close()
    const second = new SqliteStorage({ path })
    await second.open()
    await second.close()
  })

  it('a second process gets STORAGE_LOCKED while this one holds the database', async () => {
    const storage = new SqliteStorage({ path })
    await storage.open()
    try {
      const child = startLockChild(path)
      expect(await child.firstLine).toMatchObject({ opened: false, code: 'STORAGE_LOCKED' })
      await child.exited
    } finally {
      await storage.close()
    }
  })

  it('this process gets STORAGE_LOCKED while another holds it, and opens once that one is SIGKILLed (no stale lock)', async () => {
    const child = startLockChild(path)
    try {
      expect(await child.firstLine).toEqual({ opened: true })
      expect((await openError()).code).toBe('STORAGE_LOCKED')
    } finally {
      child.kill()
    }
    await child.exited
    const storage = new SqliteStorage({ path })
    await storage.open()
    await storage.close()
  })
})

/** startLockChild runs testing/lock-child.ts on `dbPath` and exposes its first JSON line. */
function startLockChild(dbPath: string): { firstLine: Promise<unknown>; exited: Promise<void>; kill(): void } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'testing', 'lock-child.ts'), dbPath], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<void>((done) => child.on('close', () => done()))
  const firstLine = new Promise<unknown>((done, fail) => {
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk
      const end = out.indexOf('\n')
      if (end >= 0) done(JSON.parse(out.slice(0, end)))
    })
    child.on('close', () => fail(new Error(`lock child exited without output: ${stderr}`)))
  })
  return { firstLine, exited, kill: () => child.kill('SIGKILL') }
}

describe('memory of a reading connection', () => {
  it('maps none of the file by default (touched mapped pages would stay resident, growing with the backlog) and bounds the page cache', () => {
    const db = openDatabase(resolveSqliteOptions({ path }))
    try {
      expect(db.pragma('mmap_size', { simple: true })).toBe(0)
      expect(db.pragma('cache_size', { simple: true })).toBe(-8_192)
    } finally {
      db.close()
    }
    const mapped = openDatabase(resolveSqliteOptions({ path, mmapSizeBytes: 1 << 20 }))
    try {
      expect(mapped.pragma('mmap_size', { simple: true })).toBe(1 << 20)
    } finally {
      mapped.close()
    }
  })
})
