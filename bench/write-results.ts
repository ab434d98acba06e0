/**
 * Writes bench/RESULTS.md from bench/results/latest.json: the table, the machine it ran on and
 * the command that made it. Run with `pnpm tsx bench/write-results.ts` after `pnpm bench`.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { RESULTS_DIR, type ResultsFile } from './lib/json'
import { markdownTable } from './lib/table'

const TARGET = fileURLToPath(new URL('./RESULTS.md', import.meta.url))

function render(file: ResultsFile): string {
  const m = file.machine
  const gib = (m.memBytes / 1024 ** 3).toFixed(1)
  const mode =
    file.mode === 'quick'
      ? 'quick mode: smaller message counts than `--full` (see the messages column), one run per row'
      : `full mode: ${file.runs === 1 ? 'one run per row' : `every number is the median of ${file.runs} runs`}`
  return `# Benchmark results

The latest table from \`bench/\`; see [README.md](README.md) for what each workload and system
is and how to read the ratios. Regenerate with the command below, then
\`pnpm tsx bench/write-results.ts\`.

- Command: \`${file.command}\` (${mode})
- Date: ${file.startedAt}, ${(file.durationMs / 1000).toFixed(0)} s
- Machine: ${m.cpus} × ${m.cpuModel}, ${gib} GiB RAM, ${m.platform}, Linux ${m.kernel}, Node ${m.node}

Rates are messages (16-byte key, 100-byte value) per second; MB/s counts key and value bytes
(10^6 bytes); peak RSS is the measuring child process plus the peer's server, where there is one.

${markdownTable(file.results, file.skipped)}
`
}

const file = JSON.parse(readFileSync(path.join(RESULTS_DIR, 'latest.json'), 'utf8')) as ResultsFile
writeFileSync(TARGET, render(file))
console.log(`wrote ${TARGET}`)
