import { TributaryError, type PartitionLogConfig } from '@tributary/core'

/** MAX_SEGMENT_BYTES is the largest segment: index entries hold file positions as int32, as Kafka's. */
export const MAX_SEGMENT_BYTES = 0x7fffffff

/**
 * checkLogConfig validates a partition's segment configuration and clamps `segmentBytes` to
 * what an int32 file position can address. Throws INVALID_CONFIG naming the bad field.
 */
export function checkLogConfig(config: PartitionLogConfig): PartitionLogConfig {
  if (config === null || typeof config !== 'object') throw new TributaryError('INVALID_CONFIG', 'A partition log config must be an object')
  const field = (name: keyof PartitionLogConfig, min: number): number => {
    const value = config[name]
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
      throw new TributaryError('INVALID_CONFIG', `config.${name} must be an integer ≥ ${min}, got ${String(value)}`, {
        details: { path: `config.${name}` },
      })
    }
    return value
  }
  return Object.freeze({
    segmentBytes: Math.min(field('segmentBytes', 1), MAX_SEGMENT_BYTES),
    segmentMs: field('segmentMs', 1),
    indexIntervalBytes: field('indexIntervalBytes', 0),
  })
}

/**
 * checkOffset validates a read offset: a malformed one is INVALID_ARGUMENT; one outside
 * [startOffset, endOffset] is OFFSET_OUT_OF_RANGE with the log's range in the details.
 */
export function checkOffset(offset: number, startOffset: number, endOffset: number, where: { topic: string; partition: number }): void {
  if (typeof offset !== 'number' || !Number.isInteger(offset)) {
    throw new TributaryError('INVALID_ARGUMENT', `offset must be an integer, got ${String(offset)}`)
  }
  if (offset < startOffset || offset > endOffset) {
    throw new TributaryError(
      'OFFSET_OUT_OF_RANGE',
      `Offset ${offset} is outside [${startOffset}, ${endOffset}] of ${where.topic}-${where.partition}`,
      {
        details: { topic: where.topic, partition: where.partition, offset, startOffset, endOffset },
      },
    )
  }
}
