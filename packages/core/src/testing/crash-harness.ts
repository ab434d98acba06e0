import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { decodeRecordBatch } from '../record-batch'
import type { PartitionLog } from '../storage'
import { crashRecord, openCrashLogs, type CrashStorageModule } from './crash-workload'
import { makeBatch } from './make-batch'
import { createRandom, type Random } from './random'

/**
 * The shared SIGKILL crash test of the disk adapters. A child process appends batches, syncs
 * each one and only then prints an acknowledgement; the parent kills it at a random moment,
 * reopens the same directory and checks that every acknowledged batch survived intact. Rounds
 * continue on the same directory, so recovery runs again and again over a growing log.
 */

/** CrashTestOptions configures `runCrashTest`. */
export interface CrashTestOptions {
  /** Names the adapter in the test title. */
  label: string
  /**
   * Absolute path of a module exporting `createStorage(dir: string): Storage` (a CrashStorageModule):
   * a .js/.mjs module from an installed package, or a .ts module when this harness runs from
   * Tributary's own sources (the child then runs through tsx).
   */
  storageModule: string
  /** Rounds (child processes killed); defaults to $CRASH_KILLS or 30. */
  kills?: number
  /** Seed of the kill timing and the children's workloads; defaults to $CRASH_SEED or a fresh one. */
  seed?: number
}

/** A child that prints no ack within this time is considered broken. */
const FIRST_ACK_TIMEOUT_MS = 30_000
/** Kills land this long after the first ack: late enough to have a few acks, early enough to keep rounds short. */
const KILL_DELAY_MIN_MS = 20
const KILL_DELAY_MAX_MS = 300
/** Reads during verification take up to this many bytes per call. */
const VERIFY_READ_BYTES = 1024 * 1024

/** CrashAck is one acknowledged batch, as the child printed it. */
interface CrashAck {
  round: number
  partition: number
  baseOffset: number
  count: number
  seq: number
}

/**
 * runCrashTest declares a jest test that SIGKILLs a writing child `kills` times and checks after
 * each kill that no acknowledged batch was lost, offsets stay contiguous from 0, every read
 * passes its CRC check and appending resumes at the end offset. The seed is printed on failure;
 * CRASH_SEED=<seed> replays the same workloads and kill delays (the exact kill points still
 * depend on real timing, so a replay is close, not exact).
 */
export function runCrashTest(options: CrashTestOptions): void {
  const kills = options.kills ?? envInteger('CRASH_KILLS') ?? 30
  const seed = options.seed ?? envInteger('CRASH_SEED') ?? Date.now() % 2 ** 31
  test(
    `${options.label}: SIGKILL at random moments loses no acknowledged batch (${kills} kills)`,
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'tributary-crash-'))
      const random = createRandom(seed)
      const acks: CrashAck[] = []
      let round = 0
      try {
        for (; round < kills; round++) {
          acks.push(...(await runChildRound(options.storageModule, dir, round, random)))
          await verifyRecovery(options.storageModule, dir, round, acks)
        }
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err)
        throw new Error(`${options.label} crash test failed in round ${round} (seed ${seed}; rerun with CRASH_SEED=${seed}): ${message}`, {
          cause: err,
        })
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    },
    30_000 + kills * 10_000,
  )
}

/** runChildRound starts one child, kills it a random delay after its first ack and returns its acks. */
function runChildRound(storageModule: string, dir: string, round: number, random: Random): Promise<CrashAck[]> {
  const childSeed = random.int(2 ** 31)
  const killDelayMs = random.range(KILL_DELAY_MIN_MS, KILL_DELAY_MAX_MS)
  const child = spawn(process.execPath, [...crashChildCommand(), storageModule, dir, String(round), String(childSeed)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return new Promise((resolve, reject) => {
    let stdout = ''
    let stderr = ''
    let killTimer: NodeJS.Timeout | undefined
    const startTimer = setTimeout(() => child.kill('SIGKILL'), FIRST_ACK_TIMEOUT_MS)
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      if (killTimer === undefined && /^ack .*\n/m.test(stdout)) {
        clearTimeout(startTimer)
        killTimer = setTimeout(() => child.kill('SIGKILL'), killDelayMs)
      }
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
    })
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(startTimer)
      if (killTimer === undefined || signal !== 'SIGKILL') {
        reject(new Error(`child ended without being killed after its first ack (code ${code}, signal ${signal}):\n${stderr}`))
        return
      }
      resolve(parseAcks(stdout, round))
    })
  })
}

/** parseAcks reads the child's complete ack lines; a line cut by the kill is not an ack. */
function parseAcks(stdout: string, round: number): CrashAck[] {
  const complete = stdout.slice(0, stdout.lastIndexOf('\n') + 1)
  return complete
    .split('\n')
    .filter((line) => line.startsWith('ack '))
    .map((line) => {
      const [, , partition, baseOffset, count, seq] = line.split(' ').map(Number)
      return { round, partition: partition ?? -1, baseOffset: baseOffset ?? -1, count: count ?? -1, seq: seq ?? -1 }
    })
}

/** verifyRecovery opens the storage in this process and checks the acknowledged batches. */
async function verifyRecovery(storageModule: string, dir: string, round: number, acks: readonly CrashAck[]): Promise<void> {
  const mod = await loadStorageModule(storageModule)
  const storage = mod.createStorage(dir)
  await storage.open()
  try {
    openCrashLogs(storage).forEach((log, partition) => {
      const found = readWholeLog(log)
      for (const ack of acks) if (ack.partition === partition) checkAck(found, ack)
      checkAppendResumes(log, round)
    })
  } finally {
    await storage.close()
  }
}

/** readWholeLog reads a partition from 0 to its end, checking contiguity; returns offset → record. */
function readWholeLog(log: PartitionLog): Map<number, { key: string; value: string }> {
  expect(log.startOffset()).toBe(0)
  const found = new Map<number, { key: string; value: string }>()
  let next = 0
  while (next < log.endOffset()) {
    const batches = log.read(next, VERIFY_READ_BYTES)
    if (batches.length === 0) throw new Error(`partition ${log.partition}: read(${next}) returned nothing below end ${log.endOffset()}`)
    for (const batch of batches) {
      for (const record of decodeRecordBatch(batch)) {
        if (record.offset !== next) throw new Error(`partition ${log.partition}: expected offset ${next}, found ${record.offset}`)
        found.set(record.offset, { key: String(record.key), value: String(record.value) })
        next++
      }
    }
  }
  expect(next).toBe(log.endOffset())
  return found
}

function checkAck(found: Map<number, { key: string; value: string }>, ack: CrashAck): void {
  for (let i = 0; i < ack.count; i++) {
    const expected = crashRecord(ack.round, ack.seq, i)
    const actual = found.get(ack.baseOffset + i)
    if (actual === undefined || actual.key !== expected.key || actual.value !== expected.value) {
      throw new Error(
        `acknowledged batch (round ${ack.round}, seq ${ack.seq}) lost or changed at partition ${ack.partition} offset ${ack.baseOffset + i}: ` +
          `expected key ${String(expected.key)}, found ${actual === undefined ? 'nothing' : actual.key}`,
      )
    }
  }
}

/** checkAppendResumes appends a probe batch and checks it lands at the recovered end offset. */
function checkAppendResumes(log: PartitionLog, round: number): void {
  const end = log.endOffset()
  const info = log.append(makeBatch([{ key: `probe-${round}`, value: 'probe' }]))
  expect(info.baseOffset).toBe(end)
  expect(log.endOffset()).toBe(end + 1)
}

/** envInteger reads a non-negative integer from the environment; unset or malformed gives undefined. */
function envInteger(name: string): number | undefined {
  const value = process.env[name]
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined
  return Number(value)
}

/**
 * nativeImport is Node's own dynamic import, hidden from bundlers: a CommonJS build would turn an
 * `import()` into a `require()`, which cannot load an ES module given as a file URL.
 */
const nativeImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>

/**
 * loadStorageModule loads the module the children build their storage from: through Node's
 * import in a built package, through the test runner's loader from Tributary's sources (where the
 * module is TypeScript).
 */
async function loadStorageModule(path: string): Promise<CrashStorageModule> {
  const url = pathToFileURL(path).href
  return (__filename.endsWith('.ts') ? await import(url) : await nativeImport(url)) as CrashStorageModule
}

/**
 * crashChildCommand is how to start the child: the compiled `crash-child.js` of an installed
 * package (`dist/testing/`), or `crash-child.ts` through tsx when this module runs from
 * Tributary's sources (its tests; tsx finds the repository's tsconfig from the working
 * directory). `__dirname` is CommonJS's (`dist/testing` in the CJS build, `src/testing` in the
 * sources); in the ESM build it is tsup's shim, which lives in a shared chunk at `dist/`.
 */
function crashChildCommand(): string[] {
  for (const built of [join(__dirname, 'crash-child.js'), join(__dirname, 'testing', 'crash-child.js')]) {
    if (existsSync(built)) return [built]
  }
  return ['--import', 'tsx', join(__dirname, 'crash-child.ts')]
}
