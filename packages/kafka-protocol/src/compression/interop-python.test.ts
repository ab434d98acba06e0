import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { getCompressionCodec } from '@tributary/core'
import { lz4Compress } from './lz4'
import { snappyCompress } from './snappy'
import { jsonRecords } from './test-kit'
import { zstdCompress } from './zstd'

/**
 * The other direction of interop.test.ts: what Tributary's codecs write is read by a Kafka
 * client's own decoders — kafka-python's `kafka.codec` (xerial snappy as the Java client reads it,
 * lz4 frames, zstd), run by Debian's /usr/bin/python3. It fails, not skips, when they are missing
 * (`.ci/run` installs python3-kafka, python3-snappy, python3-lz4, python3-zstandard).
 */

const SCRIPT = join(__dirname, 'fixtures', 'read-with-kafka-python.py')

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex')
}

test("kafka-python's codecs read Tributary's snappy, lz4, zstd and gzip, from one byte to several MB", () => {
  const plaintexts = [Buffer.from('x'), jsonRecords(40_000), jsonRecords(3 << 20, 3)]
  const writers = {
    gzip: (b: Buffer) => getCompressionCodec('gzip').compress(b),
    snappy: snappyCompress,
    lz4: lz4Compress,
    zstd: zstdCompress,
  }
  const cases = Object.entries(writers).flatMap(([codec, write]) => plaintexts.map((p) => ({ codec, hex: write(p).toString('hex'), p })))
  const stdout = execFileSync('/usr/bin/python3', [SCRIPT], {
    input: JSON.stringify(cases.map(({ codec, hex }) => ({ codec, hex }))),
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  })
  const decoded = JSON.parse(stdout) as Array<{ codec: string; sha256: string; bytes: number }>
  expect(decoded).toEqual(cases.map(({ codec, p }) => ({ codec, sha256: sha256(p), bytes: p.length })))
}, 60_000)
