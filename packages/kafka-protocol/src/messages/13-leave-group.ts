/*
 * LeaveGroup (key 13), versions 0-5, flexible from v4: described from Kafka's
 * LeaveGroupRequest.json and LeaveGroupResponse.json (apache/kafka trunk 1eb7644, the 3.9 line).
 *
 * v1 adds throttleTimeMs; v3 replaces memberId with a members[] batch (member id and
 * groupInstanceId each, with per-member errors); v4 first flexible; v5 reason. Clients send:
 * KafkaJS v3, librdkafka up to v1, kafka-python v1.
 */
import { defineApi } from '../codec/api'
import { type BodyOf, f, message } from '../codec/schema'

export const LeaveGroupRequestSchema = message({
  name: 'LeaveGroupRequest',
  apiKey: 13,
  type: 'request',
  validVersions: '0-5',
  flexibleVersions: '4+',
  fields: [
    f.string('groupId', '0+'),
    f.string('memberId', '0-2'),
    f.array('members', '3+', [
      f.string('memberId', '3+'),
      f.string('groupInstanceId', '3+', { nullableVersions: '3+', default: null }),
      f.string('reason', '5+', { nullableVersions: '5+', default: null }),
    ]),
  ],
})

export const LeaveGroupResponseSchema = message({
  name: 'LeaveGroupResponse',
  apiKey: 13,
  type: 'response',
  validVersions: '0-5',
  flexibleVersions: '4+',
  fields: [
    f.int32('throttleTimeMs', '1+'),
    f.int16('errorCode', '0+'),
    f.array('members', '3+', [
      f.string('memberId', '3+'),
      f.string('groupInstanceId', '3+', { nullableVersions: '3+' }),
      f.int16('errorCode', '3+'),
    ]),
  ],
})

/** LeaveGroup is the LeaveGroup API (key 13). */
export const LeaveGroup = defineApi({ key: 13, name: 'LeaveGroup', request: LeaveGroupRequestSchema, response: LeaveGroupResponseSchema })

/** LeaveGroupRequest is a decoded LeaveGroup request body: every version's fields, absent ones at their defaults. */
export type LeaveGroupRequest = BodyOf<typeof LeaveGroupRequestSchema>
/** LeaveGroupResponse is a decoded LeaveGroup response body: every version's fields, absent ones at their defaults. */
export type LeaveGroupResponse = BodyOf<typeof LeaveGroupResponseSchema>
