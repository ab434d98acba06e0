/*
 * Produce (key 0), versions 0-11, flexible from v9: described from Kafka's
 * ProduceRequest.json and ProduceResponse.json (apache/kafka trunk 1eb7644, the 3.9 line).
 *
 * v3 adds transactionalId and requires message format v2 (one batch per partition);
 * v5 adds logStartOffset to the response; v7 allows zstd; v8 adds recordErrors/errorMessage; v9 is
 * the first flexible version; v10 adds the tagged currentLeader/nodeEndpoints (KIP-951). The records
 * field stays the client's bytes (a view of the frame); acks=0 gets no response (the server's job).
 * Clients send v7 (KafkaJS, librdkafka 2.0, kafka-python with a 2.1+ broker).
 */
import { defineApi } from '../codec/api'
import { type BodyOf, f, message } from '../codec/schema'

export const ProduceRequestSchema = message({
  name: 'ProduceRequest',
  apiKey: 0,
  type: 'request',
  validVersions: '0-11',
  flexibleVersions: '9+',
  fields: [
    f.string('transactionalId', '3+', { nullableVersions: '3+', default: null }),
    f.int16('acks', '0+'),
    f.int32('timeoutMs', '0+'),
    f.array('topicData', '0+', [
      f.string('name', '0+'),
      f.array('partitionData', '0+', [f.int32('index', '0+'), f.records('records', '0+', { nullableVersions: '0+' })]),
    ]),
  ],
})

export const ProduceResponseSchema = message({
  name: 'ProduceResponse',
  apiKey: 0,
  type: 'response',
  validVersions: '0-11',
  flexibleVersions: '9+',
  fields: [
    f.array('responses', '0+', [
      f.string('name', '0+'),
      f.array('partitionResponses', '0+', [
        f.int32('index', '0+'),
        f.int16('errorCode', '0+'),
        f.int64('baseOffset', '0+'),
        f.int64('logAppendTimeMs', '2+', { default: -1 }),
        f.int64('logStartOffset', '5+', { default: -1 }),
        f.array('recordErrors', '8+', [
          f.int32('batchIndex', '8+'),
          f.string('batchIndexErrorMessage', '8+', { nullableVersions: '8+', default: null }),
        ]),
        f.string('errorMessage', '8+', { nullableVersions: '8+', default: null }),
        f.struct('currentLeader', '10+', [f.int32('leaderId', '10+', { default: -1 }), f.int32('leaderEpoch', '10+', { default: -1 })], {
          taggedVersions: '10+',
          tag: 0,
        }),
      ]),
    ]),
    f.int32('throttleTimeMs', '1+', { default: 0 }),
    f.array(
      'nodeEndpoints',
      '10+',
      [
        f.int32('nodeId', '10+'),
        f.string('host', '10+'),
        f.int32('port', '10+'),
        f.string('rack', '10+', { nullableVersions: '10+', default: null }),
      ],
      { taggedVersions: '10+', tag: 0 },
    ),
  ],
})

/** Produce is the Produce API (key 0). */
export const Produce = defineApi({ key: 0, name: 'Produce', request: ProduceRequestSchema, response: ProduceResponseSchema })

/** ProduceRequest is a decoded Produce request body: every version's fields, absent ones at their defaults. */
export type ProduceRequest = BodyOf<typeof ProduceRequestSchema>
/** ProduceResponse is a decoded Produce response body: every version's fields, absent ones at their defaults. */
export type ProduceResponse = BodyOf<typeof ProduceResponseSchema>
