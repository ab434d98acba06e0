/**
 * Publishability: every package packs with `pnpm pack`, the tarballs install into a scratch
 * project with npm, and each package imports as ESM and as CommonJS and type-checks from its
 * published `.d.ts` under both module systems.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const root = resolve(__dirname, '..')
const packages = ['core', 'storage-file', 'storage-sqlite', 'raft', 'kafka-protocol', 'client']
const names = packages.map((p) => `@tributary/${p}`)

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
      'const p: number = partitionForKey("k", 3)',
      'const e: TributaryError = new TributaryError("INVALID_CONFIG", "x")',
      'export const used = [p, e, LocalBroker, MemoryStorage, Tributary, FileStorage, SqliteStorage, raft]',
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
