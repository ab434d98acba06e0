/*
 * AlterConfigs (key 33), versions 0-2, flexible from v2: described from Kafka's
 * AlterConfigsRequest.json and AlterConfigsResponse.json (apache/kafka trunk 1eb7644, the 3.9 line).
 *
 * v1 identical to v0; v2 first flexible. Clients send: KafkaJS v1, librdkafka v0,
 * kafka-python up to v1.
 */
import { defineApi } from '../codec/api'
import { type BodyOf, f, message } from '../codec/schema'

export const AlterConfigsRequestSchema = message({
  name: 'AlterConfigsRequest',
  apiKey: 33,
  type: 'request',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    f.array('resources', '0+', [
      f.int8('resourceType', '0+'),
      f.string('resourceName', '0+'),
      f.array('configs', '0+', [f.string('name', '0+'), f.string('value', '0+', { nullableVersions: '0+' })]),
    ]),
    f.bool('validateOnly', '0+'),
  ],
})

export const AlterConfigsResponseSchema = message({
  name: 'AlterConfigsResponse',
  apiKey: 33,
  type: 'response',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    f.int32('throttleTimeMs', '0+'),
    f.array('responses', '0+', [
      f.int16('errorCode', '0+'),
      f.string('errorMessage', '0+', { nullableVersions: '0+' }),
      f.int8('resourceType', '0+'),
      f.string('resourceName', '0+'),
    ]),
  ],
})

/** AlterConfigs is the AlterConfigs API (key 33). */
export const AlterConfigs = defineApi({
  key: 33,
  name: 'AlterConfigs',
  request: AlterConfigsRequestSchema,
  response: AlterConfigsResponseSchema,
})

/** AlterConfigsRequest is a decoded AlterConfigs request body: every version's fields, absent ones at their defaults. */
export type AlterConfigsRequest = BodyOf<typeof AlterConfigsRequestSchema>
/** AlterConfigsResponse is a decoded AlterConfigs response body: every version's fields, absent ones at their defaults. */
export type AlterConfigsResponse = BodyOf<typeof AlterConfigsResponseSchema>
