import { getCompressionCodec, type CompressionType } from '@tributary/core'
import { KafkaJSNotImplemented, nonRetriable } from './errors'

/** CompressionTypes are KafkaJS's names for Kafka's codec ids (the numbers are the batch attribute bits). */
export const CompressionTypes = Object.freeze({ None: 0, GZIP: 1, Snappy: 2, LZ4: 3, ZSTD: 4 } as const)

const NAMES: readonly CompressionType[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
const LABELS = ['None', 'GZIP', 'Snappy', 'LZ4', 'ZSTD'] as const

/**
 * CompressionCodecs is KafkaJS's codec registry, kept so that programs which install a codec
 * (`CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec`) run unchanged. Tributary compresses
 * with its own synchronous codecs (`registerCompressionCodec` of @tributary/core): a codec put here
 * is not used, and a send whose codec Tributary lacks fails with KafkaJSNotImplemented saying so.
 */
export const CompressionCodecs: Record<number, () => unknown> = {
  [CompressionTypes.GZIP]: () => tributaryCodec(CompressionTypes.GZIP),
  [CompressionTypes.Snappy]: () => tributaryCodec(CompressionTypes.Snappy),
  [CompressionTypes.LZ4]: () => tributaryCodec(CompressionTypes.LZ4),
  [CompressionTypes.ZSTD]: () => tributaryCodec(CompressionTypes.ZSTD),
}

/** tributaryCodec is Tributary's codec for a KafkaJS compression number; KafkaJSNotImplemented when none is registered. */
function tributaryCodec(type: number): unknown {
  const name = NAMES[type] as CompressionType
  try {
    return getCompressionCodec(name)
  } catch (cause) {
    throw new KafkaJSNotImplemented(
      `${LABELS[type]} compression not implemented: Tributary has no '${name}' codec registered (a KafkaJS codec put in ` +
        `CompressionCodecs is not used; register one with registerCompressionCodec of @tributary/core)`,
      { cause },
    )
  }
}

/**
 * compressionFor maps a KafkaJS compression number (undefined: none) to Tributary's codec name.
 * Throws KafkaJSNonRetriableError for a number that names no codec, and KafkaJSNotImplemented for
 * a codec that is not registered in Tributary: nothing is sent uncompressed by mistake.
 */
export function compressionFor(value: unknown): CompressionType {
  if (value === undefined || value === null) return 'none'
  const name = typeof value === 'number' && Number.isInteger(value) ? NAMES[value] : undefined
  if (name === undefined)
    throw nonRetriable(`Invalid compression ${String(value)}: use one of CompressionTypes (None, GZIP, Snappy, LZ4, ZSTD)`)
  if (name !== 'none') tributaryCodec(value as number)
  return name
}
