/*
 * FindCoordinator (key 10), versions 0-6, flexible from v3: described from Kafka's
 * FindCoordinatorRequest.json and FindCoordinatorResponse.json (apache/kafka trunk 1eb7644, the 3.9 line).
 *
 * v1 adds keyType (0 group, 1 transaction) and errorMessage; v3 first flexible;
 * v4 batches keys (coordinatorKeys in, coordinators out) instead of one key; v6 share groups.
 * Clients send: KafkaJS v2, librdkafka up to v2, kafka-python v0.
 */
import { defineApi } from '../codec/api'
import { type BodyOf, f, message } from '../codec/schema'

export const FindCoordinatorRequestSchema = message({
  name: 'FindCoordinatorRequest',
  apiKey: 10,
  type: 'request',
  validVersions: '0-6',
  flexibleVersions: '3+',
  fields: [f.string('key', '0-3'), f.int8('keyType', '1+', { default: 0 }), f.array('coordinatorKeys', '4+', 'string')],
})

export const FindCoordinatorResponseSchema = message({
  name: 'FindCoordinatorResponse',
  apiKey: 10,
  type: 'response',
  validVersions: '0-6',
  flexibleVersions: '3+',
  fields: [
    f.int32('throttleTimeMs', '1+'),
    f.int16('errorCode', '0-3'),
    f.string('errorMessage', '1-3', { nullableVersions: '1-3' }),
    f.int32('nodeId', '0-3'),
    f.string('host', '0-3'),
    f.int32('port', '0-3'),
    f.array('coordinators', '4+', [
      f.string('key', '4+'),
      f.int32('nodeId', '4+'),
      f.string('host', '4+'),
      f.int32('port', '4+'),
      f.int16('errorCode', '4+'),
      f.string('errorMessage', '4+', { nullableVersions: '4+' }),
    ]),
  ],
})

/** FindCoordinator is the FindCoordinator API (key 10). */
export const FindCoordinator = defineApi({
  key: 10,
  name: 'FindCoordinator',
  request: FindCoordinatorRequestSchema,
  response: FindCoordinatorResponseSchema,
})

/** FindCoordinatorRequest is a decoded FindCoordinator request body: every version's fields, absent ones at their defaults. */
export type FindCoordinatorRequest = BodyOf<typeof FindCoordinatorRequestSchema>
/** FindCoordinatorResponse is a decoded FindCoordinator response body: every version's fields, absent ones at their defaults. */
export type FindCoordinatorResponse = BodyOf<typeof FindCoordinatorResponseSchema>
