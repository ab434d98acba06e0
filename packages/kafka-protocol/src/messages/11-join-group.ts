/*
 * JoinGroup (key 11), versions 0-9, flexible from v6: described from Kafka's
 * JoinGroupRequest.json and JoinGroupResponse.json (apache/kafka trunk 1eb7644, the 3.9 line).
 *
 * v1 adds rebalanceTimeoutMs; from v4 a first join with an empty member id gets
 * MEMBER_ID_REQUIRED and the assigned id; v5 groupInstanceId (static members); v6 first
 * flexible; v7 protocolType in the response; v8 reason; v9 skipAssignment. Clients send: KafkaJS
 * v5, librdkafka up to v5, kafka-python v2.
 */
import { defineApi } from '../codec/api'
import { type BodyOf, f, message } from '../codec/schema'

export const JoinGroupRequestSchema = message({
  name: 'JoinGroupRequest',
  apiKey: 11,
  type: 'request',
  validVersions: '0-9',
  flexibleVersions: '6+',
  fields: [
    f.string('groupId', '0+'),
    f.int32('sessionTimeoutMs', '0+'),
    f.int32('rebalanceTimeoutMs', '1+', { default: -1 }),
    f.string('memberId', '0+'),
    f.string('groupInstanceId', '5+', { nullableVersions: '5+', default: null }),
    f.string('protocolType', '0+'),
    f.array('protocols', '0+', [f.string('name', '0+'), f.bytes('metadata', '0+')]),
    f.string('reason', '8+', { nullableVersions: '8+', default: null }),
  ],
})

export const JoinGroupResponseSchema = message({
  name: 'JoinGroupResponse',
  apiKey: 11,
  type: 'response',
  validVersions: '0-9',
  flexibleVersions: '6+',
  fields: [
    f.int32('throttleTimeMs', '2+'),
    f.int16('errorCode', '0+'),
    f.int32('generationId', '0+', { default: -1 }),
    f.string('protocolType', '7+', { nullableVersions: '7+', default: null }),
    f.string('protocolName', '0+', { nullableVersions: '7+' }),
    f.string('leader', '0+'),
    f.bool('skipAssignment', '9+', { default: false }),
    f.string('memberId', '0+'),
    f.array('members', '0+', [
      f.string('memberId', '0+'),
      f.string('groupInstanceId', '5+', { nullableVersions: '5+', default: null }),
      f.bytes('metadata', '0+'),
    ]),
  ],
})

/** JoinGroup is the JoinGroup API (key 11). */
export const JoinGroup = defineApi({ key: 11, name: 'JoinGroup', request: JoinGroupRequestSchema, response: JoinGroupResponseSchema })

/** JoinGroupRequest is a decoded JoinGroup request body: every version's fields, absent ones at their defaults. */
export type JoinGroupRequest = BodyOf<typeof JoinGroupRequestSchema>
/** JoinGroupResponse is a decoded JoinGroup response body: every version's fields, absent ones at their defaults. */
export type JoinGroupResponse = BodyOf<typeof JoinGroupResponseSchema>
