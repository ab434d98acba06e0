import type * as ZstdBinding from 'zstd-napi/binding'
import { corrupt, nativeFailure, tooLarge } from './corrupt'
import { loadNative } from './native'

/**
 * Zstandard as Kafka uses it (codec id 4; Produce ≥ 7 and Fetch ≥ 10 only): standard zstd
 * frames, through zstd-napi's low-level binding (libzstd compiled from the sources it bundles, so
 * it installs without downloading anything). The binding, not the package's convenience
 * `decompress`, is used because that one trusts a frame's declared size for its allocation and
 * does not notice a truncated frame; here every size is checked against the limit first, and a
 * frame without a declared size is inflated in bounded steps that stop at the limit.
 */

/** ZSTD_LEVEL is the compression level: libzstd's default 3, as Kafka's `compression.zstd.level`. */
export const ZSTD_LEVEL = 3
/** WINDOW_LOG_MAX caps the window a frame may ask the decoder to allocate (2^27 = 128 MiB, libzstd's default). */
const WINDOW_LOG_MAX = 27
/** STEP_BYTES is how much one step of a streaming decode may write (frames without a content size). */
const STEP_BYTES = 256 * 1024

type Binding = typeof ZstdBinding
let state: { lib: Binding; cctx: ZstdBinding.CCtx; dctx: ZstdBinding.DCtx } | null = null

function zstd(): NonNullable<typeof state> {
  if (state !== null) return state
  const lib = loadNative<Binding>('zstd-napi/binding', 'zstd')
  const dctx = new lib.DCtx()
  dctx.setParameter(lib.DParameter.windowLogMax, WINDOW_LOG_MAX)
  state = { lib, cctx: new lib.CCtx(), dctx }
  return state
}

/** zstdCompress writes `buf` as one zstd frame (with its content size) at level 3. */
export function zstdCompress(buf: Buffer): Buffer {
  const { lib, cctx } = zstd()
  const out = Buffer.allocUnsafe(lib.compressBound(buf.length))
  const written = cctx.compress(out, buf, ZSTD_LEVEL)
  // Copy out of the worst-case allocation rather than keep it alive behind a small view.
  return Buffer.from(out.subarray(0, written))
}

/**
 * zstdDecompress inflates one or more zstd frames (skippable frames included) to at most
 * `maxBytes`. Malformed, truncated or oversized input is CORRUPT_MESSAGE.
 */
export function zstdDecompress(buf: Buffer, maxBytes: number): Buffer {
  const z = zstd()
  try {
    const declared = declaredContentSize(z.lib, buf)
    if (declared !== null && declared > maxBytes) throw tooLarge('zstd', declared, maxBytes)
    return declared === null ? decompressStreaming(z, buf, maxBytes) : decompressKnownSize(z, buf, declared)
  } catch (err) {
    throw nativeFailure('zstd', err)
  }
}

/** declaredContentSize adds up what every frame declares, or null when one does not say. */
function declaredContentSize(lib: Binding, buf: Buffer): number | null {
  if (buf.length === 0) throw corrupt('zstd', 'no frame')
  let total = 0
  for (let at = 0; at < buf.length; ) {
    const frame = buf.subarray(at)
    const size = lib.getFrameContentSize(frame)
    if (size === null) return null
    total += size
    at += lib.findFrameCompressedSize(frame)
  }
  return total
}

function decompressKnownSize(z: NonNullable<typeof state>, buf: Buffer, size: number): Buffer {
  const out = Buffer.allocUnsafe(size)
  const written = z.dctx.decompress(out, buf)
  if (written !== size) throw corrupt('zstd', `the frames declare ${size} bytes and inflate to ${written}`)
  return out
}

/**
 * decompressStreaming inflates frames that do not declare their size, STEP_BYTES at most per
 * step, and stops as soon as the output would pass `maxBytes`. A frame still unfinished when the
 * input is used up is truncated.
 */
function decompressStreaming(z: NonNullable<typeof state>, buf: Buffer, maxBytes: number): Buffer {
  const { lib, dctx } = z
  dctx.reset(lib.ResetDirective.sessionOnly)
  const chunks: Buffer[] = []
  let total = 0
  let input = buf
  let unfinished = true
  while (input.length > 0 || unfinished) {
    // One byte of room past the limit, so that going over it is seen rather than silently cut.
    const room = Math.min(STEP_BYTES, maxBytes - total + 1)
    const chunk = Buffer.allocUnsafe(room)
    const [hint, produced, consumed] = dctx.decompressStream(chunk, input)
    if (produced === 0 && consumed === 0) throw corrupt('zstd', 'the last frame is truncated')
    total += produced
    if (total > maxBytes) throw tooLarge('zstd', total, maxBytes)
    if (produced > 0) chunks.push(chunk.subarray(0, produced))
    input = input.subarray(consumed)
    unfinished = hint !== 0
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total)
}
