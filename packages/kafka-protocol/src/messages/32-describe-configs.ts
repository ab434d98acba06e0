/*
 * DescribeConfigs (key 32), versions 0-4, flexible from v4: described from Kafka's
 * DescribeConfigsRequest.json and DescribeConfigsResponse.json (apache/kafka trunk 1eb7644, the 3.9 line).
 *
 * v1 adds includeSynonyms and configSource; v3 includeDocumentation, configType
 * and documentation; v4 first flexible. Clients send: KafkaJS v2, librdkafka up to v1,
 * kafka-python up to v2.
 */
import { defineApi } from '../codec/api'
import { type BodyOf, f, message } from '../codec/schema'

export const DescribeConfigsRequestSchema = message({
  name: 'DescribeConfigsRequest',
  apiKey: 32,
  type: 'request',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    f.array('resources', '0+', [
      f.int8('resourceType', '0+'),
      f.string('resourceName', '0+'),
      f.array('configurationKeys', '0+', 'string', { nullableVersions: '0+' }),
    ]),
    f.bool('includeSynonyms', '1+', { default: false }),
    f.bool('includeDocumentation', '3+', { default: false }),
  ],
})

export const DescribeConfigsResponseSchema = message({
  name: 'DescribeConfigsResponse',
  apiKey: 32,
  type: 'response',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    f.int32('throttleTimeMs', '0+'),
    f.array('results', '0+', [
      f.int16('errorCode', '0+'),
      f.string('errorMessage', '0+', { nullableVersions: '0+' }),
      f.int8('resourceType', '0+'),
      f.string('resourceName', '0+'),
      f.array('configs', '0+', [
        f.string('name', '0+'),
        f.string('value', '0+', { nullableVersions: '0+' }),
        f.bool('readOnly', '0+'),
        f.bool('isDefault', '0'),
        f.int8('configSource', '1+', { default: -1 }),
        f.bool('isSensitive', '0+'),
        f.array('synonyms', '1+', [f.string('name', '1+'), f.string('value', '1+', { nullableVersions: '0+' }), f.int8('source', '1+')]),
        f.int8('configType', '3+', { default: 0 }),
        f.string('documentation', '3+', { nullableVersions: '0+' }),
      ]),
    ]),
  ],
})

/** DescribeConfigs is the DescribeConfigs API (key 32). */
export const DescribeConfigs = defineApi({
  key: 32,
  name: 'DescribeConfigs',
  request: DescribeConfigsRequestSchema,
  response: DescribeConfigsResponseSchema,
})

/** DescribeConfigsRequest is a decoded DescribeConfigs request body: every version's fields, absent ones at their defaults. */
export type DescribeConfigsRequest = BodyOf<typeof DescribeConfigsRequestSchema>
/** DescribeConfigsResponse is a decoded DescribeConfigs response body: every version's fields, absent ones at their defaults. */
export type DescribeConfigsResponse = BodyOf<typeof DescribeConfigsResponseSchema>
