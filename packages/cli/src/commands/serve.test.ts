import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { start as startChild, run } from '../../../../tests/kafka/kit'

/*
 * `tributary serve` as a process: the one stdout line once listening, kcat produces and consumes,
 * SIGTERM closes it cleanly (exit 0, the directory lock released: a second serve opens the same
 * directory and finds the data).
 */

const BIN = join(__dirname, '..', 'bin.ts')

function serveProcess(dir: string) {
  return startChild(process.execPath, ['--import', 'tsx', BIN, 'serve', '--dir', dir, '--kafka', '127.0.0.1:0', '--log-level', 'warn'])
}

test('tributary serve: listens, serves kcat, closes cleanly on SIGTERM and reopens its data', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-serve-'))
  try {
    const first = serveProcess(dir)
    await first.waitFor((out) => /kafka listening on 127\.0\.0\.1:\d+\n/.test(out), 30_000, 'the listening line')
    const address = /kafka listening on (\S+)/.exec(first.stdout())?.[1] as string
    expect(first.stdout()).toBe(`kafka listening on ${address}\n`)
    const produced = await run('kcat', ['-b', address, '-P', '-t', 'events', '-K:'], { input: 'a:1\nb:2\n' })
    expect(produced.code).toBe(0)
    expect(await first.stop('SIGTERM')).toBe(0)

    const second = serveProcess(dir)
    await second.waitFor((out) => out.includes('kafka listening on'), 30_000, 'the listening line')
    const again = /kafka listening on (\S+)/.exec(second.stdout())?.[1] as string
    const consumed = await run('kcat', ['-b', again, '-C', '-t', 'events', '-o', 'beginning', '-e', '-q', '-f', '%k=%s\\n'])
    expect(consumed.stdout).toBe('a=1\nb=2\n')
    expect(await second.stop('SIGINT')).toBe(0)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}, 90_000)

test('tributary serve refuses contradictory flags with the flag named', async () => {
  const r = await run(process.execPath, ['--import', 'tsx', BIN, 'serve', '--storage', 'sqlite', '--kafka', '127.0.0.1:0'])
  expect(r.code).toBe(2) // bad usage (EXIT_CODES.USAGE)
  expect(r.stderr).toMatch(/--path is required with --storage sqlite.*\[INVALID_CONFIG\]/)
})
