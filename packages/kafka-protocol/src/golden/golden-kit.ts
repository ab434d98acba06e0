import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { CapturedFrame } from '../testing/capture-server'

/*
 * Golden frames: request frames captured from real clients (KafkaJS 2.2.4, kcat 1.7.1 on
 * librdkafka 2.0.2) talking to the capture server, kept as hex in fixtures/*.json. The live tests
 * capture afresh on every run; with UPDATE_GOLDEN=1 they also rewrite the fixtures (one frame per
 * API and version, the first seen). Test-only.
 */

/** GoldenFrame is one committed frame. */
export interface GoldenFrame {
  api: string
  apiKey: number
  apiVersion: number
  /** The request frame without its int32 size prefix. */
  hex: string
}

/** GoldenFile is one fixture file. */
export interface GoldenFile {
  client: string
  how: string
  frames: GoldenFrame[]
}

/** FIXTURES is the directory of the committed fixtures. */
export const FIXTURES = join(__dirname, 'fixtures')

/** firstPerVersion keeps the first frame of each (API, version), in key and version order. */
export function firstPerVersion(frames: readonly CapturedFrame[]): GoldenFrame[] {
  const seen = new Map<string, GoldenFrame>()
  for (const f of frames) {
    const id = `${f.apiKey}/${f.apiVersion}`
    if (!seen.has(id)) seen.set(id, { api: f.api, apiKey: f.apiKey, apiVersion: f.apiVersion, hex: f.payload.toString('hex') })
  }
  return [...seen.values()].sort((a, b) => a.apiKey - b.apiKey || a.apiVersion - b.apiVersion)
}

/** writeGolden rewrites a fixture file when UPDATE_GOLDEN=1 (and tells whether it did). */
export function writeGolden(file: string, golden: GoldenFile): boolean {
  if (process.env.UPDATE_GOLDEN !== '1') return false
  writeFileSync(join(FIXTURES, file), `${JSON.stringify(golden, null, 2)}\n`)
  return true
}

/** readGolden loads a fixture file. */
export function readGolden(file: string): GoldenFile {
  return JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as GoldenFile
}

/** RunResult is what a child process printed and how it ended. */
export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * run starts a command, feeds it `input`, and resolves when it exits (or kills it after
 * `timeoutMs`). A missing binary rejects with a message that says how to install it: the tests
 * that use a real client fail rather than skip when the client is absent.
 */
export function run(cmd: string, args: string[], input = '', timeoutMs = 20_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      reject(
        err.code === 'ENOENT' ? new Error(`${cmd} is not installed (apt-get install -y ${cmd}); this test needs the real client`) : err,
      )
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin.end(input)
  })
}
