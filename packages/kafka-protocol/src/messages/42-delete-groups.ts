/*
 * DeleteGroups (key 42), versions 0-2, flexible from v2: described from Kafka's
 * DeleteGroupsRequest.json and DeleteGroupsResponse.json (apache/kafka trunk 1eb7644, the 3.9 line).
 *
 * v1 identical to v0; v2 first flexible. Clients send: KafkaJS v1, librdkafka up to
 * v1, kafka-python up to v1.
 */
import { defineApi } from '../codec/api'
import { type BodyOf, f, message } from '../codec/schema'

export const DeleteGroupsRequestSchema = message({
  name: 'DeleteGroupsRequest',
  apiKey: 42,
  type: 'request',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [f.array('groupsNames', '0+', 'string')],
})

export const DeleteGroupsResponseSchema = message({
  name: 'DeleteGroupsResponse',
  apiKey: 42,
  type: 'response',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [f.int32('throttleTimeMs', '0+'), f.array('results', '0+', [f.string('groupId', '0+'), f.int16('errorCode', '0+')])],
})

/** DeleteGroups is the DeleteGroups API (key 42). */
export const DeleteGroups = defineApi({
  key: 42,
  name: 'DeleteGroups',
  request: DeleteGroupsRequestSchema,
  response: DeleteGroupsResponseSchema,
})

/** DeleteGroupsRequest is a decoded DeleteGroups request body: every version's fields, absent ones at their defaults. */
export type DeleteGroupsRequest = BodyOf<typeof DeleteGroupsRequestSchema>
/** DeleteGroupsResponse is a decoded DeleteGroups response body: every version's fields, absent ones at their defaults. */
export type DeleteGroupsResponse = BodyOf<typeof DeleteGroupsResponseSchema>
