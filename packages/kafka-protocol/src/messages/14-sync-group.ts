/*
 * SyncGroup (key 14), versions 0-5, flexible from v4: described from Kafka's
 * SyncGroupRequest.json and SyncGroupResponse.json (apache/kafka trunk 1eb7644, the 3.9 line).
 *
 * v1 adds throttleTimeMs; v3 groupInstanceId; v4 first flexible; v5 protocolType and
 * protocolName. Clients send: KafkaJS v3, librdkafka up to v3, kafka-python v1.
 */
import { defineApi } from '../codec/api'
import { type BodyOf, f, message } from '../codec/schema'

export const SyncGroupRequestSchema = message({
  name: 'SyncGroupRequest',
  apiKey: 14,
  type: 'request',
  validVersions: '0-5',
  flexibleVersions: '4+',
  fields: [
    f.string('groupId', '0+'),
    f.int32('generationId', '0+'),
    f.string('memberId', '0+'),
    f.string('groupInstanceId', '3+', { nullableVersions: '3+', default: null }),
    f.string('protocolType', '5+', { nullableVersions: '5+', default: null }),
    f.string('protocolName', '5+', { nullableVersions: '5+', default: null }),
    f.array('assignments', '0+', [f.string('memberId', '0+'), f.bytes('assignment', '0+')]),
  ],
})

export const SyncGroupResponseSchema = message({
  name: 'SyncGroupResponse',
  apiKey: 14,
  type: 'response',
  validVersions: '0-5',
  flexibleVersions: '4+',
  fields: [
    f.int32('throttleTimeMs', '1+'),
    f.int16('errorCode', '0+'),
    f.string('protocolType', '5+', { nullableVersions: '5+', default: null }),
    f.string('protocolName', '5+', { nullableVersions: '5+', default: null }),
    f.bytes('assignment', '0+'),
  ],
})

/** SyncGroup is the SyncGroup API (key 14). */
export const SyncGroup = defineApi({ key: 14, name: 'SyncGroup', request: SyncGroupRequestSchema, response: SyncGroupResponseSchema })

/** SyncGroupRequest is a decoded SyncGroup request body: every version's fields, absent ones at their defaults. */
export type SyncGroupRequest = BodyOf<typeof SyncGroupRequestSchema>
/** SyncGroupResponse is a decoded SyncGroup response body: every version's fields, absent ones at their defaults. */
export type SyncGroupResponse = BodyOf<typeof SyncGroupResponseSchema>
