/*
 * Heartbeat (key 12), versions 0-4, flexible from v4: described from Kafka's
 * HeartbeatRequest.json and HeartbeatResponse.json (apache/kafka trunk 1eb7644, the 3.9 line).
 *
 * v1 adds throttleTimeMs; v3 groupInstanceId; v4 first flexible. Clients send: KafkaJS
 * v3, librdkafka up to v3, kafka-python v1.
 */
import { defineApi } from '../codec/api'
import { type BodyOf, f, message } from '../codec/schema'

export const HeartbeatRequestSchema = message({
  name: 'HeartbeatRequest',
  apiKey: 12,
  type: 'request',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    f.string('groupId', '0+'),
    f.int32('generationId', '0+'),
    f.string('memberId', '0+'),
    f.string('groupInstanceId', '3+', { nullableVersions: '3+', default: null }),
  ],
})

export const HeartbeatResponseSchema = message({
  name: 'HeartbeatResponse',
  apiKey: 12,
  type: 'response',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [f.int32('throttleTimeMs', '1+'), f.int16('errorCode', '0+')],
})

/** Heartbeat is the Heartbeat API (key 12). */
export const Heartbeat = defineApi({ key: 12, name: 'Heartbeat', request: HeartbeatRequestSchema, response: HeartbeatResponseSchema })

/** HeartbeatRequest is a decoded Heartbeat request body: every version's fields, absent ones at their defaults. */
export type HeartbeatRequest = BodyOf<typeof HeartbeatRequestSchema>
/** HeartbeatResponse is a decoded Heartbeat response body: every version's fields, absent ones at their defaults. */
export type HeartbeatResponse = BodyOf<typeof HeartbeatResponseSchema>
