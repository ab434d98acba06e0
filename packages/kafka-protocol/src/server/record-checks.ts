import { TributaryError } from '@tributary/core'

/*
 * What the server checks of produced records before they reach the Broker (Kafka's
 * ProduceRequest.validateRecords and the parts of LogValidator a protocol layer owns): one magic-2
 * batch per partition, a codec the request version allows, no transactional or control batches
 * (transactions are not supported). CRC, sequence and size checks are the Broker's, which answers
 * with Kafka's codes too. Offsets in the v2 batch header (Kafka's DefaultRecordBatch):
 */
const LOG_OVERHEAD = 12
const BATCH_LENGTH = 8
const MAGIC = 16
const ATTRIBUTES = 21
const HEADER_SIZE = 61
const COMPRESSION_MASK = 0x07
const TRANSACTIONAL = 0x10
const CONTROL = 0x20
/** ZSTD is compression id 4: Produce v7+ and Fetch v10+ only. */
export const ZSTD = 4

/**
 * checkProducedRecords checks one partition's records of a Produce request (v3+).
 * @throws TributaryError INVALID_RECORD (not exactly one magic-2 batch, a control batch),
 * UNSUPPORTED_COMPRESSION_TYPE (zstd below v7), INVALID_TXN_STATE (a transactional batch).
 */
export function checkProducedRecords(records: Buffer | null, version: number): Buffer {
  if (records === null || records.length < HEADER_SIZE) throw invalidRecord('a partition must carry exactly one record batch')
  const magic = records.readInt8(MAGIC)
  if (magic !== 2) throw invalidRecord(`Produce v${version} takes record batches of magic 2 only, got magic ${magic}`)
  const size = records.readInt32BE(BATCH_LENGTH) + LOG_OVERHEAD
  if (size !== records.length) throw invalidRecord('a partition must carry exactly one record batch')
  const attributes = records.readInt16BE(ATTRIBUTES)
  if ((attributes & COMPRESSION_MASK) === ZSTD && version < 7)
    throw new TributaryError('UNSUPPORTED_COMPRESSION_TYPE', `zstd needs Produce v7 or later, got v${version}`)
  if (attributes & CONTROL) throw invalidRecord('clients may not write control batches')
  if (attributes & TRANSACTIONAL)
    throw new TributaryError('INVALID_TXN_STATE', 'transactions are not supported: a transactional batch has no transaction')
  return records
}

/** compressionIdOf reads a batch's codec id (attribute bits 0-2). */
export function compressionIdOf(batch: Buffer): number {
  return batch.length >= HEADER_SIZE ? batch.readInt16BE(ATTRIBUTES) & COMPRESSION_MASK : 0
}

function invalidRecord(message: string): TributaryError {
  return new TributaryError('INVALID_RECORD', message)
}
