/** Number formatting shared by the table and RESULTS.md. */

/** fmtCount prints an integer with thousands separators: 1,234,567. */
export function fmtCount(n: number | null): string {
  return n === null ? '' : Math.round(n).toLocaleString('en-US')
}

/** fmtMs prints milliseconds with three significant digits: 0.214, 12.3, 1,530. */
export function fmtMs(ms: number | null): string {
  if (ms === null) return ''
  if (ms >= 1000) return fmtCount(ms)
  return ms.toPrecision(3)
}

/** fmtMiB prints bytes as MiB. */
export function fmtMiB(bytes: number | null): string {
  return bytes === null ? '' : `${(bytes / 1024 / 1024).toFixed(0)} MiB`
}

/** fmtRate prints MB/s with one decimal. */
export function fmtMb(mbPerSec: number | null): string {
  return mbPerSec === null ? '' : mbPerSec.toFixed(1)
}
