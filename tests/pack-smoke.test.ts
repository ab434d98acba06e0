/**
 * Publishability: every package packs with `pnpm pack`, the tarballs install into a scratch
 * project with npm, and each package (and each `./testing` subpath) imports as ESM and as
 * CommonJS and type-checks from its published `.d.ts` under both module systems. The installed
 * `@tributary/core/testing` runs its SIGKILL crash harness (a compiled child, no tsx), and the
 * raft entry carries no simulator.
 */
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'

const root = resolve(__dirname, '..')
const packages = ['core', 'storage-file', 'storage-sqlite', 'raft', 'cluster', 'kafka-protocol', 'client']
const subpaths = [
  '@tributary/core/internal',
  '@tributary/core/net',
  '@tributary/core/testing',
  '@tributary/raft/testing',
  '@tributary/cluster/testing',
]
const names = [...packages.map((p) => `@tributary/${p}`), ...subpaths]

function run(cmd: string, args: string[], cwd: string): string {
  try {
    return execFileSync(cmd, args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, npm_config_loglevel: 'error' },
    })
  } catch (error) {
    // Show what the command printed: tsc reports its errors on stdout.
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string }
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${stdout}${stderr}`)
  }
}

describe('published packages', () => {
  let scratch = ''

  beforeAll(() => {
    if (packages.some((p) => !existsSync(join(root, 'packages', p, 'dist', 'index.js')))) run('pnpm', ['build'], root)
    scratch = mkdtempSync(join(tmpdir(), 'tributary-pack-'))
    for (const p of packages) run('pnpm', ['pack', '--pack-destination', scratch], join(root, 'packages', p))
    const tarballs = readdirSync(scratch)
      .filter((f) => f.endsWith('.tgz'))
      .map((f) => join(scratch, f))
    expect(tarballs).toHaveLength(packages.length)
    writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true, version: '0.0.0' }))
    // --ignore-scripts: better-sqlite3 and zstd-napi load their native addons lazily, so importing
    // works without compiling them again here (the workspace build already proved they compile).
    run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', ...tarballs], scratch)
    // FileStorage's directory lock opens SQLite, so the crash harness needs better-sqlite3's addon:
    // the one the workspace compiled for this Node, in place of compiling it again.
    const sqlite = dirname(createRequire(join(root, 'packages', 'storage-file', 'package.json')).resolve('better-sqlite3/package.json'))
    const release = join(scratch, 'node_modules', 'better-sqlite3', 'build', 'Release')
    mkdirSync(release, { recursive: true })
    copyFileSync(join(sqlite, 'build', 'Release', 'better_sqlite3.node'), join(release, 'better_sqlite3.node'))
  }, 240_000)

  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true })
  })

  it('imports every package as ESM', () => {
    const code = names
      .map((n, i) => `import * as m${i} from '${n}'; if (Object.keys(m${i}).length === 0) throw new Error('${n} is empty');`)
      .join('\n')
    writeFileSync(join(scratch, 'esm.mjs'), `${code}\nconsole.log('esm ok')\n`)
    expect(run(process.execPath, ['esm.mjs'], scratch)).toContain('esm ok')
  })

  it('requires every package as CommonJS', () => {
    const code = names.map((n) => `if (Object.keys(require('${n}')).length === 0) throw new Error('${n} is empty');`).join('\n')
    writeFileSync(join(scratch, 'cjs.cjs'), `${code}\nconsole.log('cjs ok')\n`)
    expect(run(process.execPath, ['cjs.cjs'], scratch)).toContain('cjs ok')
  })

  it('ships the Raft simulator only under @tributary/raft/testing', () => {
    const main = readFileSync(join(scratch, 'node_modules', '@tributary', 'raft', 'dist', 'index.js'), 'utf8')
    for (const name of ['SafetyChecker', 'Simulation', 'runSeed', 'SimFailure']) expect(main).not.toContain(name)
    const testing = readFileSync(join(scratch, 'node_modules', '@tributary', 'raft', 'dist', 'testing', 'index.js'), 'utf8')
    expect(testing).toContain('SafetyChecker')
  })

  it('runs the crash harness of the installed @tributary/core/testing under ESM and CommonJS (compiled child, no tsx)', () => {
    // The storage module the child and the verifying parent build their storage from.
    writeFileSync(
      join(scratch, 'crash-storage.mjs'),
      "import { FileStorage } from '@tributary/storage-file'\nexport function createStorage(dir) { return new FileStorage({ dir, logger: { info() {}, warn() {} } }) }\n",
    )
    // runCrashTest declares a jest test; a minimal `test` and `expect` run it here without jest.
    const harness = (importLine: string) =>
      [
        importLine,
        'const tests = []',
        'globalThis.test = (name, fn) => tests.push([name, fn])',
        "globalThis.expect = (a) => ({ toBe(b) { if (a !== b) throw new Error('expected ' + b + ', got ' + a) } })",
        "runCrashTest({ label: 'installed', storageModule: require_resolve('./crash-storage.mjs'), kills: 2, seed: 7 })",
        "for (const [name, fn] of tests) fn().then(() => console.log('passed: ' + name), (e) => { console.error(e); process.exit(1) })",
      ].join('\n')
    writeFileSync(
      join(scratch, 'crash-esm.mjs'),
      harness(
        "import { runCrashTest } from '@tributary/core/testing'\nconst require_resolve = (p) => new URL(p, import.meta.url).pathname",
      ),
    )
    writeFileSync(
      join(scratch, 'crash-cjs.cjs'),
      harness(
        "const { runCrashTest } = require('@tributary/core/testing')\nconst require_resolve = (p) => require('node:path').join(__dirname, p)",
      ),
    )
    for (const file of ['crash-esm.mjs', 'crash-cjs.cjs']) {
      expect(run(process.execPath, [file], scratch)).toContain(
        'passed: installed: SIGKILL at random moments loses no acknowledged batch (2 kills)',
      )
    }
  }, 120_000)

  it('the compression codecs load their native packages on first use: a missing addon is a typed error', () => {
    // snappy and lz4-napi come prebuilt (per-platform npm packages); zstd-napi compiles in its
    // install script, which --ignore-scripts skipped, so here zstd must fail cleanly and alone.
    const code = [
      "const { snappyCompress, snappyDecompress, lz4Compress, lz4Decompress, zstdCompress } = require('@tributary/kafka-protocol')",
      "const data = Buffer.from('tributary '.repeat(1000))",
      "if (!snappyDecompress(snappyCompress(data), 1e6).equals(data)) throw new Error('snappy')",
      "if (!lz4Decompress(lz4Compress(data), 1e6).equals(data)) throw new Error('lz4')",
      'try { zstdCompress(data); console.log("zstd built") } catch (e) { console.log(e.code, e.details.package) }',
    ].join('\n')
    writeFileSync(join(scratch, 'codecs.cjs'), code)
    expect(run(process.execPath, ['codecs.cjs'], scratch).trim()).toBe('UNSUPPORTED_COMPRESSION_TYPE zstd-napi')
  })

  it('type-checks imports from the published declarations under ESM and CommonJS', () => {
    const body = [
      "import { TributaryError, partitionForKey, LocalBroker, MemoryStorage } from '@tributary/core'",
      "import { Tributary } from '@tributary/client'",
      "import { FileStorage } from '@tributary/storage-file'",
      "import { SqliteStorage } from '@tributary/storage-sqlite'",
      "import * as raft from '@tributary/raft'",
      "import { ClusterNode } from '@tributary/cluster'",
      "import { ManualClock, runStorageConformance } from '@tributary/core/testing'",
      "import { Simulation } from '@tributary/raft/testing'",
      "import { MemoryCluster } from '@tributary/cluster/testing'",
      'const p: number = partitionForKey("k", 3)',
      'const e: TributaryError = new TributaryError("INVALID_CONFIG", "x")',
      'export const used = [p, e, LocalBroker, MemoryStorage, Tributary, FileStorage, SqliteStorage, raft, ClusterNode, ManualClock, runStorageConformance, Simulation, MemoryCluster]',
    ].join('\n')
    writeFileSync(join(scratch, 'types.mts'), body)
    writeFileSync(join(scratch, 'types.cts'), body)
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
    for (const file of ['types.mts', 'types.cts']) {
      run(
        process.execPath,
        [
          tsc,
          '--noEmit',
          '--strict',
          '--module',
          'node16',
          '--moduleResolution',
          'node16',
          '--target',
          'es2022',
          '--types',
          'node',
          '--typeRoots',
          join(root, 'node_modules', '@types'),
          '--skipLibCheck',
          'false',
          file,
        ],
        scratch,
      )
    }
  })
})
