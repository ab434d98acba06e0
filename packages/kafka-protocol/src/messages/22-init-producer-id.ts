/*
 * InitProducerId (key 22), versions 0-5, flexible from v2: described from Kafka's
 * InitProducerIdRequest.json and InitProducerIdResponse.json (apache/kafka trunk 1eb7644, the 3.9 line).
 *
 * v2 first flexible; v3 adds producerId/producerEpoch so a producer can resume after
 * an epoch error (KIP-360); v4 PRODUCER_FENCED; v5 TRANSACTION_ABORTABLE. Clients send: KafkaJS v1,
 * librdkafka up to v4 (v3+ to resume a producer id).
 */
import { defineApi } from '../codec/api'
import { type BodyOf, f, message } from '../codec/schema'

export const InitProducerIdRequestSchema = message({
  name: 'InitProducerIdRequest',
  apiKey: 22,
  type: 'request',
  validVersions: '0-5',
  flexibleVersions: '2+',
  fields: [
    f.string('transactionalId', '0+', { nullableVersions: '0+' }),
    f.int32('transactionTimeoutMs', '0+'),
    f.int64('producerId', '3+', { default: -1 }),
    f.int16('producerEpoch', '3+', { default: -1 }),
  ],
})

export const InitProducerIdResponseSchema = message({
  name: 'InitProducerIdResponse',
  apiKey: 22,
  type: 'response',
  validVersions: '0-5',
  flexibleVersions: '2+',
  fields: [
    f.int32('throttleTimeMs', '0+'),
    f.int16('errorCode', '0+'),
    f.int64('producerId', '0+', { default: -1 }),
    f.int16('producerEpoch', '0+'),
  ],
})

/** InitProducerId is the InitProducerId API (key 22). */
export const InitProducerId = defineApi({
  key: 22,
  name: 'InitProducerId',
  request: InitProducerIdRequestSchema,
  response: InitProducerIdResponseSchema,
})

/** InitProducerIdRequest is a decoded InitProducerId request body: every version's fields, absent ones at their defaults. */
export type InitProducerIdRequest = BodyOf<typeof InitProducerIdRequestSchema>
/** InitProducerIdResponse is a decoded InitProducerId response body: every version's fields, absent ones at their defaults. */
export type InitProducerIdResponse = BodyOf<typeof InitProducerIdResponseSchema>
