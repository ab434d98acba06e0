/*
 * IncrementalAlterConfigs (key 44), versions 0-1, flexible from v1: described from Kafka's
 * IncrementalAlterConfigsRequest.json and IncrementalAlterConfigsResponse.json (apache/kafka trunk 1eb7644, the 3.9 line).
 *
 * v1 first flexible. Config operations: 0 set, 1 delete, 2 append, 3
 * subtract. Clients send: librdkafka v0-1 (2.2.0+), Java admin.
 */
import { defineApi } from '../codec/api'
import { type BodyOf, f, message } from '../codec/schema'

export const IncrementalAlterConfigsRequestSchema = message({
  name: 'IncrementalAlterConfigsRequest',
  apiKey: 44,
  type: 'request',
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: [
    f.array('resources', '0+', [
      f.int8('resourceType', '0+'),
      f.string('resourceName', '0+'),
      f.array('configs', '0+', [
        f.string('name', '0+'),
        f.int8('configOperation', '0+'),
        f.string('value', '0+', { nullableVersions: '0+' }),
      ]),
    ]),
    f.bool('validateOnly', '0+'),
  ],
})

export const IncrementalAlterConfigsResponseSchema = message({
  name: 'IncrementalAlterConfigsResponse',
  apiKey: 44,
  type: 'response',
  validVersions: '0-1',
  flexibleVersions: '1+',
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

/** IncrementalAlterConfigs is the IncrementalAlterConfigs API (key 44). */
export const IncrementalAlterConfigs = defineApi({
  key: 44,
  name: 'IncrementalAlterConfigs',
  request: IncrementalAlterConfigsRequestSchema,
  response: IncrementalAlterConfigsResponseSchema,
})

/** IncrementalAlterConfigsRequest is a decoded IncrementalAlterConfigs request body: every version's fields, absent ones at their defaults. */
export type IncrementalAlterConfigsRequest = BodyOf<typeof IncrementalAlterConfigsRequestSchema>
/** IncrementalAlterConfigsResponse is a decoded IncrementalAlterConfigs response body: every version's fields, absent ones at their defaults. */
export type IncrementalAlterConfigsResponse = BodyOf<typeof IncrementalAlterConfigsResponseSchema>
