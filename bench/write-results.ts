/**
 * Writes bench/RESULTS.md from bench/results/latest.json: the table, one SVG chart per workload
 * (bench/charts/<workload>.svg), the machine it ran on and the command that made it. Run with
 * `pnpm tsx bench/write-results.ts` after `pnpm bench`. Sections of RESULTS.md from the first
 * `## ` heading on (notes on earlier or separate runs) are kept as they are.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { RESULTS_DIR, type ResultsFile } from './lib/json'
import { svgChart } from './lib/svg-chart'
import { markdownTable } from './lib/table'

const TARGET = fileURLToPath(new URL('./RESULTS.md', import.meta.url))
const CHARTS_DIR = fileURLToPath(new URL('./charts/', import.meta.url))

/** writeCharts writes one chart per workload of the run and returns the Markdown that shows them. */
function writeCharts(file: ResultsFile): string {
  mkdirSync(CHARTS_DIR, { recursive: true })
  const workloads = [...new Set(file.results.map((r) => r.workload))]
  const images: string[] = []
  for (const workload of workloads) {
    const svg = svgChart(
      workload,
      file.results.filter((r) => r.workload === workload),
    )
    if (svg === null) continue
    writeFileSync(path.join(CHARTS_DIR, `${workload}.svg`), svg)
    images.push(`![${workload}](charts/${workload}.svg)`)
  }
  return images.join('\n\n')
}

function render(file: ResultsFile, charts: string): string {
  const m = file.machine
  const gib = (m.memBytes / 1024 ** 3).toFixed(1)
  const mode =
    file.runs > 1
      ? `${file.mode} mode: every number is the median of ${file.runs} runs`
      : file.mode === 'quick'
        ? 'quick mode: smaller message counts than `--full` (see the messages column), one run per row'
        : 'full mode: one run per row'
  return `# Benchmark results

The latest table from \`bench/\`; see [README.md](README.md) for what each workload and system
is and how to read the ratios. Regenerate with the command below, then
\`pnpm tsx bench/write-results.ts\`.

- Command: \`${file.command}\` (${mode})
- Date: ${file.startedAt}, ${(file.durationMs / 1000).toFixed(0)} s
- Machine: ${m.cpus} × ${m.cpuModel}, ${gib} GiB RAM, ${m.platform}, Linux ${m.kernel}, Node ${m.node}

Rates are messages (16-byte key, 100-byte value) per second; MB/s counts key and value bytes
(10^6 bytes); peak RSS is the measuring child process plus the peer's server, where there is one.
Tributary's produce and consume rows not labelled \`tuned\` use its default options on a topic of 8 partitions (what a
user gets); rows labelled \`tuned\` are one partition with the producer tuned for throughput.

${markdownTable(file.results, file.skipped)}

${charts}
`
}

/** keptSections returns RESULTS.md from its first `## ` heading on, or '' if it has none. */
function keptSections(): string {
  if (!existsSync(TARGET)) return ''
  const text = readFileSync(TARGET, 'utf8')
  const at = text.search(/^## /m)
  return at < 0 ? '' : text.slice(at)
}

const file = JSON.parse(readFileSync(path.join(RESULTS_DIR, 'latest.json'), 'utf8')) as ResultsFile
const kept = keptSections()
writeFileSync(TARGET, `${render(file, writeCharts(file))}${kept ? `\n${kept}` : ''}`)
// The repository's formatter pads the tables, so that `pnpm lint` passes on what was written.
execFileSync('pnpm', ['exec', 'biome', 'format', '--write', TARGET, CHARTS_DIR], { stdio: 'ignore' })
console.log(`wrote ${TARGET}`)
