/**
 * @tributary/core — the model, record batch codec, Kafka-compatible partitioner, errors, the
 * Storage and Broker contracts, memory storage and the single-node LocalBroker. Building blocks
 * that only Tributary's own packages use (option checks, batch header writers, the wire frames,
 * the group coordinator, storage argument checks, broker rules) are in `@tributary/core/internal`.
 */
export { ErrorCodes, TributaryError, isTributaryError, errorFromJSON, errorNameForCode } from './errors'
export { CompressionTypes, LATEST_TIMESTAMP, EARLIEST_TIMESTAMP } from './model'
export { systemClock } from './clock'
export {
  LOG_LEVELS,
  consoleLogger,
  silentLogger,
  defaultLogger,
  toLogger,
  isLoggerInput,
  isLogLevel,
  withFields,
  resolveLogger,
  atLevel,
} from './logger'
export { BatchAttributes, readBatchHeader } from './batch-header'
export { encodeRecordBatch, RecordBatch, decodeRecordBatch, iterateBatches } from './record-batch'
export {
  registerCompressionCodec,
  getCompressionCodec,
  isCompressionCodecRegistered,
  toCompressionType,
  MAX_DECOMPRESSED_BATCH_BYTES,
} from './compression'
export { murmur2, toPositive, partitionForKey, StickyPartitioner } from './partitioner'
export {
  MAX_TOPIC_NAME_LENGTH,
  INTERNAL_TOPICS,
  validateTopicName,
  topicNamesCollide,
  isInternalTopic,
  validatePartitionCount,
  validatePartition,
  validateOffset,
  validateBatchSize,
  toBytes,
  normalizeMessage,
} from './validation'
export { Histogram, LATENCY_BUCKETS_SECONDS, BATCH_RECORDS_BUCKETS, BATCH_BYTES_BUCKETS } from './histogram'
export { MemoryStorage, MemoryVolume } from './memory-storage'
export { LocalBroker } from './local-broker'
export { BROKER_DEFAULTS, resolveBrokerOptions } from './broker-options'
export { GROUP_COORDINATOR_DEFAULTS, resolveGroupCoordinatorOptions } from './group-options'
export {
  TOPIC_CONFIG_DEFAULTS,
  TOPIC_CONFIG_NAMES,
  validateConfigEntries,
  resolveTopicConfig,
  describeTopicConfig,
} from './topic-config'

export type { ErrorCode, TributaryErrorOptions } from './errors'
export type {
  MessageBytes,
  MessageHeaders,
  Message,
  RecordHeader,
  RecordInput,
  ConsumedRecord,
  TopicPartition,
  RecordMetadata,
  Acks,
  TimestampType,
  CompressionType,
  CompressionId,
} from './model'
export type { Clock, TimerHandle } from './clock'
export type {
  Logger,
  LogLevel,
  LogFields,
  LoggerInput,
  PinoLikeLogger,
  KafkaJsLogCreator,
  KafkaJsLogEntry,
  ConsoleLoggerOptions,
  LoggerOptions,
} from './logger'
export type { HistogramSnapshot } from './histogram'
export type { StorageInspection, InspectedJournal, InspectedPartition, InspectedSegment, StorageDamage } from './storage-inspection'
export type { RecordBatchHeader } from './batch-header'
export type { EncodeBatchOptions } from './record-batch'
export type { CompressionCodec } from './compression'
export type { PartitionRequest } from './partitioner'
export type { TopicConfig, CleanupPolicy, ConfigEntry } from './topic-config'
export type {
  PartitionLogConfig,
  AppendInfo,
  AppendOptions,
  SegmentInfo,
  RecordFilter,
  CompactionResult,
  PartitionLog,
  StoredTopic,
  StoredMetadata,
  CommittedOffset,
  Storage,
  StorageStats,
} from './storage'
export type * from './broker'
export type { MemoryStorageOptions } from './memory-storage'
export type { LocalBrokerOptions, ResolvedBrokerOptions } from './broker-options'
export type { LocalBrokerEvents } from './local-broker'
export type { GroupCoordinatorOptions } from './group-options'
export type { RetentionResult } from './log-cleaner'
export type { BrokerMethod, BrokerRpc, RpcMethod, RpcArgs, RpcResult } from './wire-rpc'
