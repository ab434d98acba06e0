/**
 * Progress lines go to stderr, prefixed with the seconds since the bench started, so that stdout
 * holds only the final table and a long run shows it is alive.
 */
const startedAtMs = performance.now()

/** progress prints one progress line. */
export function progress(line: string): void {
  const elapsedS = ((performance.now() - startedAtMs) / 1000).toFixed(1).padStart(6)
  process.stderr.write(`[${elapsedS}s] ${line}\n`)
}
