import { fmtCount, fmtMb, fmtMiB, fmtMs } from './format'
import type { Result, Skipped } from './types'

/**
 * The results table: one block per workload, one row per system, rates and latencies as medians,
 * and the ratio to the row's baseline. Rendered as padded text for the terminal and as Markdown
 * for RESULTS.md from the same cells.
 */

const HEADERS = ['workload', 'system', 'messages', 'msgs/s', 'MB/s', 'p50 ms', 'p99 ms', 'p999 ms', 'peak RSS', 'vs baseline', 'notes']
/** Right-aligned columns (numbers). */
const NUMERIC = new Set([2, 3, 4, 5, 6, 7, 8])

function ratioCell(result: Result): string {
  return result.ratio === null || result.baseline === null ? '' : `${result.ratio.toFixed(2)}× ${result.baseline}`
}

function notesCell(result: Result): string {
  return Object.entries(result.extra)
    .map(([key, value]) => `${key} ${typeof value === 'number' ? fmtCount(value) : value}`)
    .join(', ')
}

function cells(result: Result): string[] {
  return [
    result.workload,
    result.label,
    result.messages ? fmtCount(result.messages) : '',
    fmtCount(result.msgsPerSec),
    fmtMb(result.mbPerSec),
    fmtMs(result.p50Ms),
    fmtMs(result.p99Ms),
    fmtMs(result.p999Ms),
    fmtMiB(result.peakRssBytes),
    ratioCell(result),
    notesCell(result),
  ]
}

function skippedLines(skipped: readonly Skipped[]): string[] {
  return skipped.map((s) => `${s.failed ? 'FAILED' : 'skipped'}: ${s.workload} / ${s.label}: ${s.reason.split('\n')[0]}`)
}

/** textTable renders the results for a terminal, a blank line between workloads. */
export function textTable(results: readonly Result[], skipped: readonly Skipped[]): string {
  const rows = results.map(cells)
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (row: string[]) =>
    row
      .map((cell, i) => (NUMERIC.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  const out = [line(HEADERS), widths.map((w) => '-'.repeat(w)).join('  ')]
  results.forEach((result, i) => {
    if (i > 0 && results[i - 1]!.workload !== result.workload) out.push('')
    out.push(line(rows[i]!))
  })
  if (skipped.length > 0) out.push('', ...skippedLines(skipped))
  return out.join('\n')
}

/** markdownTable renders the results as a Markdown table followed by the skipped list. */
export function markdownTable(results: readonly Result[], skipped: readonly Skipped[]): string {
  const escapeCell = (cell: string) => cell.replaceAll('|', '\\|')
  const out = [
    `| ${HEADERS.join(' | ')} |`,
    `| ${HEADERS.map((_, i) => (NUMERIC.has(i) ? '---:' : '---')).join(' | ')} |`,
    ...results.map((r) => `| ${cells(r).map(escapeCell).join(' | ')} |`),
  ]
  if (skipped.length > 0) out.push('', ...skippedLines(skipped).map((l) => `- ${l}`))
  return out.join('\n')
}
