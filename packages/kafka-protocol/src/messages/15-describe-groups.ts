/*
 * DescribeGroups (key 15), versions 0-5, flexible from v5: described from Kafka's
 * DescribeGroupsRequest.json and DescribeGroupsResponse.json (apache/kafka trunk 1eb7644, the 3.9 line).
 *
 * v1 adds throttleTimeMs; v3 includeAuthorizedOperations; v4 groupInstanceId of
 * members; v5 first flexible. Clients send: KafkaJS v2, librdkafka v0 (admin up to v4), kafka-python
 * up to v3.
 */
import { defineApi } from '../codec/api'
import { type BodyOf, f, message } from '../codec/schema'

export const DescribeGroupsRequestSchema = message({
  name: 'DescribeGroupsRequest',
  apiKey: 15,
  type: 'request',
  validVersions: '0-5',
  flexibleVersions: '5+',
  fields: [f.array('groups', '0+', 'string'), f.bool('includeAuthorizedOperations', '3+')],
})

export const DescribeGroupsResponseSchema = message({
  name: 'DescribeGroupsResponse',
  apiKey: 15,
  type: 'response',
  validVersions: '0-5',
  flexibleVersions: '5+',
  fields: [
    f.int32('throttleTimeMs', '1+'),
    f.array('groups', '0+', [
      f.int16('errorCode', '0+'),
      f.string('groupId', '0+'),
      f.string('groupState', '0+'),
      f.string('protocolType', '0+'),
      f.string('protocolData', '0+'),
      f.array('members', '0+', [
        f.string('memberId', '0+'),
        f.string('groupInstanceId', '4+', { nullableVersions: '4+', default: null }),
        f.string('clientId', '0+'),
        f.string('clientHost', '0+'),
        f.bytes('memberMetadata', '0+'),
        f.bytes('memberAssignment', '0+'),
      ]),
      f.int32('authorizedOperations', '3+', { default: -2147483648 }),
    ]),
  ],
})

/** DescribeGroups is the DescribeGroups API (key 15). */
export const DescribeGroups = defineApi({
  key: 15,
  name: 'DescribeGroups',
  request: DescribeGroupsRequestSchema,
  response: DescribeGroupsResponseSchema,
})

/** DescribeGroupsRequest is a decoded DescribeGroups request body: every version's fields, absent ones at their defaults. */
export type DescribeGroupsRequest = BodyOf<typeof DescribeGroupsRequestSchema>
/** DescribeGroupsResponse is a decoded DescribeGroups response body: every version's fields, absent ones at their defaults. */
export type DescribeGroupsResponse = BodyOf<typeof DescribeGroupsResponseSchema>
