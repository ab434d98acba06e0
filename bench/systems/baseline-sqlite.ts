import path from 'node:path'
import type BetterSqlite3 from 'better-sqlite3'
import { loadBetterSqlite3 } from '../lib/better-sqlite3'
import { messagePool } from '../lib/data'
import { nowMs } from '../lib/stats'
import type { LogSession, LogSystem, ProduceOptions } from './types'

/**
 * baseline-sqlite is the table a user would write by hand: one row per message, inserted with a
 * prepared statement in transactions of 1,000, WAL journal with `synchronous = NORMAL` (the usual
 * WAL setting: commits reach the OS, checkpoints are synced, so it compares with acks=1). Reading
 * back iterates one `SELECT` over the table.
 */

const TRANSACTION_ROWS = 1_000

class SqliteSession implements LogSession {
  private readonly db: BetterSqlite3.Database

  constructor(dir: string) {
    const Database = loadBetterSqlite3()
    this.db = new Database(path.join(dir, 'baseline.sqlite'))
    this.db.pragma('journal_mode = WAL')
    this.db.pragma('synchronous = NORMAL')
    this.db.exec('CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, key BLOB, value BLOB)')
  }

  async produce({ count, deadlineMs }: ProduceOptions): Promise<number> {
    const pool = messagePool()
    const insert = this.db.prepare('INSERT INTO messages (key, value) VALUES (?, ?)')
    const insertMany = this.db.transaction((from: number, n: number) => {
      for (let i = 0; i < n; i++) {
        const { key, value } = pool.at(from + i)
        insert.run(key, value)
      }
    })
    let sent = 0
    while (sent < count && nowMs() < deadlineMs) {
      const n = Math.min(TRANSACTION_ROWS, count - sent)
      insertMany(sent, n)
      sent += n
    }
    return sent
  }

  async consume(count: number, deadlineMs: number): Promise<number> {
    const select = this.db.prepare('SELECT key, value FROM messages ORDER BY id')
    let seen = 0
    let valueBytes = 0
    for (const row of select.iterate() as IterableIterator<{ key: Buffer; value: Buffer }>) {
      valueBytes += row.value.length
      if (++seen >= count || (seen % 1000 === 0 && nowMs() > deadlineMs)) break
    }
    if (valueBytes < 0) throw new Error('unreachable')
    return seen
  }

  async close(): Promise<void> {
    this.db.close()
  }

  serverPeakRssBytes(): number {
    return 0
  }
}

export const baselineSqlite: LogSystem = {
  name: 'baseline-sqlite',
  persistent: true,
  open: async (dir) => new SqliteSession(dir),
}
