/**
 * @tributary/client/kafkajs — KafkaJS's API on Tributary. A KafkaJS program runs unchanged but for
 * its import and how `new Kafka()` reaches Tributary (`tributary: tb` for an embedded or connected
 * Tributary, `brokers` for a Tributary cluster). See README.md beside this file for what differs.
 */
export { Kafka } from './kafka'
export { KafkaProducer } from './producer'
export { KafkaConsumer } from './consumer'
export { KafkaAdmin } from './admin'
export { PartitionAssigners, AssignerProtocol } from './assigners'
export { Partitioners, legacyMurmur2 } from './partitioners'
export { logLevel } from './logger'
export { CompressionTypes, CompressionCodecs } from './compression'
export {
  ConfigResourceTypes,
  ConfigSource,
  AclResourceTypes,
  AclOperationTypes,
  AclPermissionTypes,
  ResourcePatternTypes,
} from './constants'
export { connectTributaryCluster } from './backend'
export { ConsumerEvents, ProducerEvents, AdminEvents } from './events'
export {
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSPartialMessageError,
  KafkaJSBrokerNotFound,
  KafkaJSProtocolError,
  KafkaJSConnectionError,
  KafkaJSConnectionClosedError,
  KafkaJSRequestTimeoutError,
  KafkaJSSASLAuthenticationError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSOffsetOutOfRange,
  KafkaJSMemberIdRequired,
  KafkaJSGroupCoordinatorNotFound,
  KafkaJSNotImplemented,
  KafkaJSMetadataNotLoaded,
  KafkaJSTopicMetadataNotLoaded,
  KafkaJSStaleTopicMetadataAssignment,
  KafkaJSDeleteGroupsError,
  KafkaJSTimeout,
  KafkaJSLockTimeout,
  KafkaJSServerDoesNotSupportApiKey,
  KafkaJSUnsupportedMagicByteInMessageSet,
  KafkaJSDeleteTopicRecordsError,
  KafkaJSInvariantViolation,
  KafkaJSInvalidVarIntError,
  KafkaJSInvalidLongError,
  KafkaJSCreateTopicError,
  KafkaJSAggregateError,
  KafkaJSFetcherRebalanceError,
  KafkaJSNoBrokerAvailableError,
  KafkaJSAlterPartitionReassignmentsError,
} from './errors'

export type { ConsumerConfig } from './consumer'
export type { ITopicConfig } from './admin'
export type { LogEntry, LogCreator, LogLevel, Logger } from './logger'
export type { DeleteGroupsResult } from './errors'
export type {
  KafkaConfig,
  BackendConnectOptions,
  SASLOptions,
  RetryOptions,
  ProducerConfig,
  ProducerRecord,
  ProducerBatch,
  TopicMessages,
  RecordMetadata,
  Message,
  IHeaders,
  PartitionMetadata,
  PartitionerArgs,
  ICustomPartitioner,
  KafkaMessage,
  Batch,
  EachMessagePayload,
  EachBatchPayload,
  ConsumerRunConfig,
  ConsumerSubscribeTopics,
  ConsumerSubscribeTopic,
  TopicPartitionOffsetAndMetadata,
  PartitionOffset,
  TopicOffsets,
  Offsets,
  GroupDescription,
  MemberDescription,
  InstrumentationEvent,
} from './types'
