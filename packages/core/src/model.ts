/**
 * The data model shared by every package: messages as the producer hands them in, records as
 * the consumer gets them back, and the descriptors of topics and partitions.
 */

/** MessageBytes is what a key, value or header value may be: bytes, a string (UTF-8) or null. */
export type MessageBytes = Buffer | Uint8Array | string | null

/** MessageHeaders maps a header name to its value(s), as in KafkaJS. */
export type MessageHeaders = Record<string, MessageBytes | MessageBytes[] | undefined>

/** Message is one record as a producer sends it. */
export interface Message {
  /** The key; messages with the same key go to the same partition (murmur2, as Kafka). */
  key?: MessageBytes
  /** The value; null is a tombstone on a compacted topic. */
  value: MessageBytes
  headers?: MessageHeaders
  /** An explicit partition wins over the key. */
  partition?: number
  /** Milliseconds since the epoch; defaults to the time of the send. */
  timestamp?: number
}

/** RecordHeader is one decoded header: a name (UTF-8) and its value bytes. */
export interface RecordHeader {
  key: string
  value: Buffer | null
}

/**
 * RecordInput is one record ready for encoding: bytes already normalised, timestamp resolved.
 * The codec takes these; the producer builds them from `Message`s.
 */
export interface RecordInput {
  key: Buffer | null
  value: Buffer | null
  headers: RecordHeader[]
  /** Milliseconds since the epoch. */
  timestamp: number
}

/** ConsumedRecord is one decoded record with its position in the partition. */
export interface ConsumedRecord {
  offset: number
  /** Milliseconds since the epoch (the batch's max timestamp under LogAppendTime). */
  timestamp: number
  key: Buffer | null
  value: Buffer | null
  /** The record's headers; a record without any shares one frozen empty array (copy before adding to it). */
  headers: RecordHeader[]
}

/** TopicPartition names one partition of one topic. */
export interface TopicPartition {
  topic: string
  partition: number
}

/** RecordMetadata is what a producer gets back for each partition a send touched. */
export interface RecordMetadata {
  topicName: string
  partition: number
  errorCode: number
  /** Offset given to the first message of this send on this partition; -1 with acks=0. */
  baseOffset: number
  /** The broker's append time in ms under LogAppendTime, otherwise -1. */
  logAppendTime: number
  logStartOffset: number
}

/** Acks is the producer's durability request: 0 none, 1 the leader appended, -1 all in-sync replicas. */
export type Acks = 0 | 1 | -1

/** Special timestamps for `listOffsets`, as in Kafka's ListOffsets request. */
export const LATEST_TIMESTAMP = -1
export const EARLIEST_TIMESTAMP = -2

/** TimestampType says whether record timestamps are the producer's or the broker's. */
export type TimestampType = 'CreateTime' | 'LogAppendTime'

/** CompressionType names a batch compression codec; the numbers are Kafka's attribute bits. */
export const CompressionTypes = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const
export type CompressionType = keyof typeof CompressionTypes
/** CompressionId is Kafka's number for a codec (attribute bits 0–2): `CompressionTypes.gzip` is 1. */
export type CompressionId = (typeof CompressionTypes)[CompressionType]
