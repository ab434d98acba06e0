import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** makeTempDir creates a fresh directory for one test's storage. */
export function makeTempDir(label = 'file'): string {
  return mkdtempSync(join(tmpdir(), `tributary-${label}-`))
}

/** removeTempDir deletes a test directory and everything in it. */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

/** SILENT_LOGGER drops every log line (tests that check logging pass their own). */
export const SILENT_LOGGER = Object.freeze({ info: () => {}, warn: () => {} })
