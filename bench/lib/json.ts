import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Machine } from './machine'
import type { Mode, Result, Skipped } from './types'

/** RESULTS_DIR is bench/results/ (git-ignored). */
export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url))

/** ResultsFile is the JSON written after every run. */
export interface ResultsFile {
  /** command is how to reproduce the run, e.g. `pnpm bench --full produce`. */
  command: string
  mode: Mode
  /** runs is how many runs each median is taken over. */
  runs: number
  startedAt: string
  durationMs: number
  machine: Machine
  results: Result[]
  skipped: Skipped[]
}

/** writeResults writes `bench/results/<timestamp>.json` and `bench/results/latest.json`; returns the first path. */
export function writeResults(file: ResultsFile): string {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const stamp = file.startedAt.replaceAll(':', '-').replace(/\.\d+Z$/, 'Z')
  const target = path.join(RESULTS_DIR, `${stamp}.json`)
  const text = `${JSON.stringify(file, null, 2)}\n`
  writeFileSync(target, text)
  writeFileSync(path.join(RESULTS_DIR, 'latest.json'), text)
  return target
}
