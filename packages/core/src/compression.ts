import { gunzipSync, gzipSync } from 'node:zlib'
import { TributaryError } from './errors'
import { invalidConfig } from './option-checks'
import { CompressionTypes, type CompressionId, type CompressionType } from './model'

/**
 * Batch compression codecs. A compressed batch stores its records as one blob after the 61-byte
 * header and names the codec in attribute bits 0–2 (Kafka's ids). `none` and `gzip` are built in
 * (gzip through node:zlib, so it needs no dependency); snappy, lz4 and zstd are registered from
 * outside — `registerKafkaCodecs()` of @tributary/kafka-protocol, which Tributary's client calls —
 * so that core pulls in no native compressor.
 */

/**
 * CompressionCodec compresses and decompresses a whole records blob. Both are synchronous.
 * `decompress` gets the most bytes the result may have (`MAX_DECOMPRESSED_BATCH_BYTES` when core
 * calls it) and should refuse, before allocating, input that declares or inflates to more; a codec
 * that ignores it is still checked afterwards. Failures may be thrown as anything: core reports
 * them as CORRUPT_MESSAGE (a TributaryError thrown by the codec passes through unchanged).
 */
export interface CompressionCodec {
  compress(buf: Buffer): Buffer
  decompress(buf: Buffer, maxBytes: number): Buffer
}

/**
 * MAX_DECOMPRESSED_BATCH_BYTES bounds what one batch may inflate to (256 MiB), so that a small
 * corrupt or hostile batch cannot make a reader allocate without limit (a "zip bomb").
 */
export const MAX_DECOMPRESSED_BATCH_BYTES = 256 * 1024 * 1024

const noneCodec: CompressionCodec = Object.freeze({
  compress: (buf: Buffer) => buf,
  decompress: (buf: Buffer) => buf,
})

const gzipCodec: CompressionCodec = Object.freeze({
  compress: (buf: Buffer) => gzipSync(buf),
  decompress: (buf: Buffer, maxBytes: number) => gunzipSync(buf, { maxOutputLength: Math.max(1, maxBytes) }),
})

/** Codecs by Kafka id (the index is the attribute value). */
const codecs: Array<CompressionCodec | undefined> = [noneCodec, gzipCodec, undefined, undefined, undefined]
/** Names by Kafka id, the inverse of `CompressionTypes`. */
const namesById: readonly CompressionType[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

/**
 * registerCompressionCodec installs (or replaces) the codec for `type`, e.g. snappy or zstd from
 * a package of the application's choice. It is process-wide. Throws INVALID_CONFIG for an unknown
 * type name or for `none`, which cannot be replaced.
 */
export function registerCompressionCodec(type: CompressionType, codec: CompressionCodec): void {
  const id = compressionId(type)
  if (id === CompressionTypes.none) throw new TributaryError('INVALID_CONFIG', "The 'none' compression codec cannot be replaced")
  if (typeof codec?.compress !== 'function' || typeof codec.decompress !== 'function') {
    throw new TributaryError('INVALID_CONFIG', `A codec for '${type}' needs compress() and decompress() functions`)
  }
  codecs[id] = codec
}

/**
 * getCompressionCodec returns the codec to encode with. Throws INVALID_CONFIG for an unknown type
 * name or a type that has no registered codec, since that is a producer misconfiguration.
 */
export function getCompressionCodec(type: CompressionType): CompressionCodec {
  const codec = codecs[compressionId(type)]
  if (codec === undefined) {
    throw new TributaryError('INVALID_CONFIG', `No codec is registered for compression '${type}'; call registerCompressionCodec first`)
  }
  return codec
}

/** compressionId returns Kafka's attribute id for `type`; INVALID_CONFIG for an unknown name. */
export function compressionId(type: CompressionType): number {
  if (typeof type !== 'string' || !Object.hasOwn(CompressionTypes, type)) {
    throw new TributaryError('INVALID_CONFIG', `Unknown compression type '${String(type)}' (expected one of ${namesById.join(', ')})`)
  }
  return CompressionTypes[type]
}

/**
 * toCompressionType accepts a codec as users write it — a name ('gzip') or Kafka's id
 * (`CompressionTypes.gzip`, i.e. 1, as KafkaJS's `CompressionTypes.GZIP` is) — and returns its name.
 * Anything else is INVALID_CONFIG whose message and `details.path` name the option (`path`).
 */
export function toCompressionType(value: unknown, path: string): CompressionType {
  if (typeof value === 'string' && Object.hasOwn(CompressionTypes, value)) return value as CompressionType
  if (typeof value === 'number' && Number.isInteger(value) && namesById[value] !== undefined) return namesById[value]
  throw invalidConfig(path, `must be one of ${namesById.join(', ')} or Kafka's id 0–4, got ${describe(value)}`)
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value)
}

/** isCompressionCodecRegistered tells whether `type` can be encoded and decoded in this process. */
export function isCompressionCodecRegistered(type: CompressionType | CompressionId): boolean {
  const id = typeof type === 'number' ? type : CompressionTypes[type]
  return codecs[id] !== undefined
}

/**
 * compressionTypeForId returns the name for attribute bits 0–2. Ids 5–7 are not codecs at all, so
 * they mean the batch is damaged: CORRUPT_MESSAGE.
 */
export function compressionTypeForId(id: number): CompressionType {
  const name = namesById[id]
  if (name === undefined) throw new TributaryError('CORRUPT_MESSAGE', `Record batch names unknown compression id ${id}`)
  return name
}

/**
 * decompressRecords inflates a batch's records blob with the codec for `id`, to at most
 * `maxBytes` (default MAX_DECOMPRESSED_BATCH_BYTES). Throws CORRUPT_MESSAGE for an invalid id,
 * bytes the codec rejects or a result over the limit; UNSUPPORTED_COMPRESSION_TYPE for a valid
 * codec that is not registered in this process (the data may be fine; this reader cannot read it).
 */
export function decompressRecords(id: number, blob: Buffer, maxBytes = MAX_DECOMPRESSED_BATCH_BYTES): Buffer {
  const type = compressionTypeForId(id)
  const codec = codecs[id]
  if (codec === undefined) {
    throw new TributaryError(
      'UNSUPPORTED_COMPRESSION_TYPE',
      `Record batch is compressed with '${type}', which has no registered codec (registerKafkaCodecs() from @tributary/kafka-protocol registers all of Kafka's)`,
    )
  }
  let out: Uint8Array
  try {
    out = codec.decompress(blob, maxBytes)
  } catch (err) {
    if (err instanceof TributaryError) throw err
    const message = err instanceof Error ? err.message : String(err)
    throw new TributaryError('CORRUPT_MESSAGE', `Cannot decompress ${type} records: ${message}`, { cause: err })
  }
  // A codec that does not honour maxBytes is still held to it, if only after the fact.
  if (out.byteLength > maxBytes) {
    throw new TributaryError('CORRUPT_MESSAGE', `${type} records inflate to ${out.byteLength} bytes, over the limit of ${maxBytes}`)
  }
  // Keys and values are views into this, and they must be Buffers even if a codec returns a Uint8Array.
  return Buffer.isBuffer(out) ? out : Buffer.from(out.buffer, out.byteOffset, out.byteLength)
}
