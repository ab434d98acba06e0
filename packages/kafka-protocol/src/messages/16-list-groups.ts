/*
 * ListGroups (key 16), versions 0-5, flexible from v3: described from Kafka's
 * ListGroupsRequest.json and ListGroupsResponse.json (apache/kafka trunk 1eb7644, the 3.9 line).
 *
 * v1 adds throttleTimeMs; v3 first flexible; v4 statesFilter; v5 typesFilter.
 * Clients send: KafkaJS v2, librdkafka v0 (admin up to v4), kafka-python up to v2.
 */
import { defineApi } from '../codec/api'
import { type BodyOf, f, message } from '../codec/schema'

export const ListGroupsRequestSchema = message({
  name: 'ListGroupsRequest',
  apiKey: 16,
  type: 'request',
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [f.array('statesFilter', '4+', 'string'), f.array('typesFilter', '5+', 'string')],
})

export const ListGroupsResponseSchema = message({
  name: 'ListGroupsResponse',
  apiKey: 16,
  type: 'response',
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [
    f.int32('throttleTimeMs', '1+'),
    f.int16('errorCode', '0+'),
    f.array('groups', '0+', [
      f.string('groupId', '0+'),
      f.string('protocolType', '0+'),
      f.string('groupState', '4+'),
      f.string('groupType', '5+'),
    ]),
  ],
})

/** ListGroups is the ListGroups API (key 16). */
export const ListGroups = defineApi({ key: 16, name: 'ListGroups', request: ListGroupsRequestSchema, response: ListGroupsResponseSchema })

/** ListGroupsRequest is a decoded ListGroups request body: every version's fields, absent ones at their defaults. */
export type ListGroupsRequest = BodyOf<typeof ListGroupsRequestSchema>
/** ListGroupsResponse is a decoded ListGroups response body: every version's fields, absent ones at their defaults. */
export type ListGroupsResponse = BodyOf<typeof ListGroupsResponseSchema>
