/*
 * Output for people and for scripts: tables (aligned columns, one header row) on stdout, JSON
 * (`--json`) on stdout, notes and progress on stderr, progress only when stderr is a terminal.
 */

/** Column is one table column: its header and how to read a row's cell. */
export interface Column<T> {
  header: string
  value: (row: T) => string | number
  /** Right-align (numbers). Default: right for numbers, left otherwise. */
  align?: 'left' | 'right'
}

/** formatTable lays rows out in aligned columns under a header row. */
export function formatTable<T>(rows: readonly T[], columns: ReadonlyArray<Column<T>>): string {
  const cells = rows.map((r) => columns.map((c) => c.value(r)))
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => String(row[i]).length)))
  const right = columns.map(
    (c, i) => c.align === 'right' || (c.align === undefined && cells.length > 0 && cells.every((row) => typeof row[i] === 'number')),
  )
  const line = (values: ReadonlyArray<string | number>) =>
    values
      .map((v, i) => (right[i] ? String(v).padStart(widths[i] as number) : String(v).padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd()
  return `${[line(columns.map((c) => c.header)), ...cells.map(line)].join('\n')}\n`
}

/** print writes a table to stdout. */
export function printTable<T>(rows: readonly T[], columns: ReadonlyArray<Column<T>>): void {
  process.stdout.write(formatTable(rows, columns))
}

/** printJson writes one JSON document to stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}

/** note writes a line for people on stderr (never mixed into what scripts read). */
export function note(line: string): void {
  process.stderr.write(`${line}\n`)
}

/** formatTime shows ms since the epoch as ISO-8601 (or '-' for none). */
export function formatTime(ms: number): string {
  return ms < 0 || !Number.isFinite(ms) ? '-' : new Date(ms).toISOString()
}

/** formatBytes shows a size with a binary unit. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let n = bytes
  let u = 0
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024
    u++
  }
  return u === 0 ? `${n} B` : `${n.toFixed(1)} ${units[u]}`
}

/**
 * Progress draws a one-line counter on stderr when stderr is a terminal (and nothing otherwise),
 * at most every 100 ms; `done()` clears it.
 */
export class Progress {
  private readonly enabled = process.stderr.isTTY === true
  private lastMs = 0
  private shown = false

  constructor(private readonly label: string) {}

  /** update shows `text` (e.g. '1.2 MiB of 40 MiB'). */
  update(text: string): void {
    if (!this.enabled) return
    const now = Date.now()
    if (now - this.lastMs < 100) return
    this.lastMs = now
    this.shown = true
    process.stderr.write(`\r\x1b[2K${this.label}: ${text}`)
  }

  /** done clears the line. */
  done(): void {
    if (this.shown) process.stderr.write('\r\x1b[2K')
    this.shown = false
  }
}
