import { fmtCount } from './format'
import type { Result } from './types'

/**
 * svgChart draws one workload's rows as horizontal bars of msgs/s on a logarithmic axis (the
 * rates span four orders of magnitude; on a log axis equal ratios are equal distances). Rows
 * that another row is compared with are the baselines: drawn grey and labelled so. Each bar
 * carries its rate and, when it has one, its ratio to its baseline. Rows without a rate (CRC's
 * MB/s) are left out; null when fewer than two rows remain.
 */

const WIDTH = 900
const LABEL_WIDTH = 260
const VALUE_WIDTH = 250
const ROW_HEIGHT = 22
const TOP = 34
const BOTTOM = 28

const escapeXml = (text: string): string => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')

/** svgChart returns the SVG text for `rows` (one workload's results), or null if there is nothing to chart. */
export function svgChart(workload: string, rows: readonly Result[]): string | null {
  const charted = rows.filter((r): r is Result & { msgsPerSec: number } => r.msgsPerSec !== null && r.msgsPerSec > 0)
  if (charted.length < 2) return null
  const baselines = new Set(charted.map((r) => r.baseline).filter((b): b is string => b !== null))
  const max = Math.max(...charted.map((r) => r.msgsPerSec))
  const min = Math.min(...charted.map((r) => r.msgsPerSec))
  const lo = 10 ** Math.floor(Math.log10(min))
  const hi = 10 ** Math.ceil(Math.log10(max))
  const plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
  const x = (v: number): number => LABEL_WIDTH + (plot * Math.log10(v / lo)) / Math.log10(hi / lo)
  const height = TOP + charted.length * ROW_HEIGHT + BOTTOM
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(workload)}: msgs/s per system</title>`,
    `<rect width="${WIDTH}" height="${height}" fill="white"/>`,
    `<text x="8" y="20" font-size="14" font-weight="bold">${escapeXml(workload)}: msgs/s (log scale; grey bars are baselines)</text>`,
  ]
  for (let decade = lo; decade <= hi; decade *= 10) {
    const gx = x(decade).toFixed(1)
    out.push(`<line x1="${gx}" y1="${TOP - 4}" x2="${gx}" y2="${height - BOTTOM + 4}" stroke="#ddd"/>`)
    out.push(`<text x="${gx}" y="${height - 8}" text-anchor="middle" fill="#666">${fmtCount(decade)}</text>`)
  }
  charted.forEach((row, i) => {
    const y = TOP + i * ROW_HEIGHT
    const isBaseline = baselines.has(row.label)
    const fill = isBaseline ? '#9e9e9e' : row.system.startsWith('tributary') ? '#1f77b4' : '#ff7f0e'
    const barEnd = x(row.msgsPerSec)
    const ratio = row.ratio !== null && row.baseline !== null ? `  ${row.ratio.toFixed(2)}× ${row.baseline}` : ''
    out.push(
      `<text x="${LABEL_WIDTH - 6}" y="${y + 15}" text-anchor="end">${escapeXml(row.label)}${isBaseline ? ' (baseline)' : ''}</text>`,
    )
    out.push(
      `<rect x="${LABEL_WIDTH}" y="${y + 3}" width="${Math.max(1, barEnd - LABEL_WIDTH).toFixed(1)}" height="${ROW_HEIGHT - 6}" fill="${fill}"/>`,
    )
    out.push(`<text x="${(barEnd + 4).toFixed(1)}" y="${y + 15}" fill="#333">${fmtCount(row.msgsPerSec)}${escapeXml(ratio)}</text>`)
  })
  out.push('</svg>')
  return `${out.join('\n')}\n`
}
