/*
 * ApiVersions (key 18), versions 0-4, flexible from v3: described from Kafka's
 * ApiVersionsRequest.json and ApiVersionsResponse.json (apache/kafka trunk 1eb7644, the 3.9 line).
 *
 * v0-2 identical requests; v1 adds throttleTimeMs to the response; v3 (first flexible)
 * adds clientSoftwareName/Version and the tagged supportedFeatures, finalizedFeatures* and
 * zkMigrationReady; v4 only relaxes a feature check. The response header is always v0, even for
 * the flexible versions (KIP-511), so a client can read it before it knows what the broker speaks.
 * Clients send: KafkaJS v2, librdkafka v3 (falling back to v0), kafka-python v0.
 */
import { defineApi } from '../codec/api'
import { type BodyOf, f, message } from '../codec/schema'

export const ApiVersionsRequestSchema = message({
  name: 'ApiVersionsRequest',
  apiKey: 18,
  type: 'request',
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [f.string('clientSoftwareName', '3+'), f.string('clientSoftwareVersion', '3+')],
})

export const ApiVersionsResponseSchema = message({
  name: 'ApiVersionsResponse',
  apiKey: 18,
  type: 'response',
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [
    f.int16('errorCode', '0+'),
    f.array('apiKeys', '0+', [f.int16('apiKey', '0+'), f.int16('minVersion', '0+'), f.int16('maxVersion', '0+')]),
    f.int32('throttleTimeMs', '1+'),
    f.array('supportedFeatures', '3+', [f.string('name', '3+'), f.int16('minVersion', '3+'), f.int16('maxVersion', '3+')], {
      taggedVersions: '3+',
      tag: 0,
    }),
    f.int64('finalizedFeaturesEpoch', '3+', { taggedVersions: '3+', tag: 1, default: -1 }),
    f.array('finalizedFeatures', '3+', [f.string('name', '3+'), f.int16('maxVersionLevel', '3+'), f.int16('minVersionLevel', '3+')], {
      taggedVersions: '3+',
      tag: 2,
    }),
    f.bool('zkMigrationReady', '3+', { taggedVersions: '3+', tag: 3, default: false }),
  ],
})

/** ApiVersions is the ApiVersions API (key 18). */
export const ApiVersions = defineApi({
  key: 18,
  name: 'ApiVersions',
  request: ApiVersionsRequestSchema,
  response: ApiVersionsResponseSchema,
})

/** ApiVersionsRequest is a decoded ApiVersions request body: every version's fields, absent ones at their defaults. */
export type ApiVersionsRequest = BodyOf<typeof ApiVersionsRequestSchema>
/** ApiVersionsResponse is a decoded ApiVersions response body: every version's fields, absent ones at their defaults. */
export type ApiVersionsResponse = BodyOf<typeof ApiVersionsResponseSchema>
