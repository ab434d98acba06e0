/**
 * @tributary/client — Kafka as a library: the `Tributary` entry point, producer, consumer groups
 * and admin, with KafkaJS's shape, number offsets and options whose names carry their units.
 */
export { Tributary } from './tributary'
export { RemoteBroker } from './remote/remote-broker'
export { CONNECT_DEFAULTS } from './remote/options'
export { Producer } from './producer/producer'
export { Consumer } from './consumer/consumer'
export { Admin, ConfigResourceTypes } from './admin'
export { ConsumerEvents, ProducerEvents } from './events'
export { Assigners, resolveAssigner } from './assignors'
export { PRODUCER_DEFAULTS, CONSUMER_DEFAULTS, RETRY_DEFAULTS } from './options'
export { BrokerTraffic } from './observe/broker-metrics'
export { instrumentBroker, DIAGNOSTICS_CHANNELS } from './observe/instrument'
export { collectMetrics, MAX_SNAPSHOT_GROUPS } from './observe/snapshot'
export { TributaryError, isTributaryError, ErrorCodes, CompressionTypes } from '@tributary/core'

export type {
  TributaryOptions,
  BrokerOptions,
  ProducerOptions,
  ConsumerOptions,
  RetryOptions,
  ConsumerRetryOptions,
  AssignerRef,
  OffsetReset,
} from './options'
export type { ConnectOptions } from './remote/options'
export type { PartitionTraffic } from './observe/broker-metrics'
export type {
  MetricsSnapshot,
  MetricsSource,
  PartitionMetrics,
  GroupMetrics,
  GroupPartitionLag,
  ProducerMetrics,
} from './observe/snapshot'
export type { KafkaConnectOptions } from './kafka-connect'
export type { KafkaClientOptions, KafkaTlsOptions, KafkaSaslOptions, KafkaSaslMechanism } from '@tributary/kafka-protocol'
export type { ProducerRecord, ProducerBatch } from './producer/producer'
export type { TopicPartitions, PartitionLag } from './consumer/consumer'
export type { StreamMessage, StreamOptions } from './consumer/stream'
export type { KafkaMessage, EachMessagePayload, EachBatchPayload, Batch, RunOptions } from './consumer/types'
export type { ITopicConfig, PartitionOffsets, GroupPartitionOffset, ConfigDescription } from './admin'
export type { ClientEvent, RemoveListener, ConsumerEventName, ProducerEventName } from './events'
export type { PartitionAssigner } from './assignors'
export type {
  Message,
  MessageBytes,
  MessageHeaders,
  RecordMetadata,
  Acks,
  CompressionType,
  ErrorCode,
  TopicPartition,
  Broker,
  Storage,
  Clock,
  GroupDescription,
} from '@tributary/core'
