/**
 * @tributary/core/internal — building blocks shared by Tributary's own packages (storage
 * adapters, raft, cluster, client) and not meant for applications: no stability promise beyond
 * the version of @tributary/core they ship with.
 */
export { wrapStorageError } from './errors'
export { assert, InvariantError } from './assert'
export { deferred } from './deferred'
export { FetchWaiters, fetchHasEnough, partitionKey } from './fetch-waiters'
export {
  MAX_TIMER_MS,
  invalidConfig,
  checkObject,
  checkInt,
  checkMs,
  checkNumber,
  checkBool,
  checkOneOf,
  stripUndefined,
  parseHostPort,
} from './option-checks'
export { crc32c } from './crc32c'
export {
  BatchLayout,
  batchSizeAt,
  readBaseOffset,
  readLastOffset,
  readMaxTimestamp,
  writeBaseOffset,
  writePartitionLeaderEpoch,
  checkBatchAt,
  checkFramingAt,
  splitBatches,
} from './batch-header'
export { filterBatchRecords, setLogAppendTime } from './record-batch'
export { GroupCoordinator } from './group-coordinator'
export { applyRetention, compactLog, retentionCutoff } from './log-cleaner'
export { ProducerStateTable, ProducerExpiry, RETAINED_BATCHES_PER_PRODUCER, DEFAULT_PRODUCER_ID_EXPIRATION_MS } from './producer-state'
export { applyConfigChanges, checkCreateTopicsRequest, checkPartitionIncrease, checkTopicSpec } from './admin-rules'
export {
  DEFAULT_FETCH_MAX_BYTES,
  DEFAULT_FETCH_MIN_BYTES,
  FetchBudget,
  checkProduceRequest,
  checkProducedBatch,
  checkFetchRequest,
  checkMetadataRequest,
  checkFetchOffset,
  checkPartitionRequests,
  listOffsetFor,
  deleteRecordsTarget,
  unknownPartition,
  asBrokerError,
  failedProduce,
  failedFetch,
  failedListOffset,
  failedDeleteRecords,
} from './broker-rules'
export { partitionLogConfig } from './topic-config'
export { MAX_FRAME_BYTES, encodeFrame, encodeFrameChunks, FrameReader } from './wire-frames'
export { BROKER_METHODS, isBrokerMethod, dispatchBrokerCall } from './wire-rpc'
export { WireConnection, MAX_RESPONSE_BYTES } from './wire-connection'
export {
  INT32_MAX,
  MIN_SEGMENT_BYTES,
  checkLogConfig,
  checkTopicPartition,
  checkGroupId,
  checkCommittedOffsets,
  checkPartitionList,
  checkStoredMetadata,
  checkOffsetArgument,
  checkReadArguments,
  offsetOutOfRange,
  checkTimestampArgument,
  checkBatchArgument,
  checkWholeBatch,
  checkRecordFilter,
} from './storage-checks'

export type { Deferred } from './deferred'
export type { CheckedFetch, CheckedProduce } from './broker-rules'
export type { CheckedTopicSpec, TopicLimits } from './admin-rules'
export type { GroupCoordinatorDeps } from './group-coordinator'
export type { WireHeader } from './wire-frames'
export type { WireSocket, WireDialer, WireConnectionOptions, CallOptions } from './wire-connection'
