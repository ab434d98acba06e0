/*
 * SaslAuthenticate (key 36), versions 0-2, flexible from v2: described from Kafka's
 * SaslAuthenticateRequest.json and SaslAuthenticateResponse.json (apache/kafka trunk 1eb7644, the 3.9 line).
 *
 * v1 adds sessionLifetimeMs to the response (re-authentication, KIP-368); v2
 * first flexible. Clients send: KafkaJS v1, librdkafka v0.
 */
import { defineApi } from '../codec/api'
import { type BodyOf, f, message } from '../codec/schema'

export const SaslAuthenticateRequestSchema = message({
  name: 'SaslAuthenticateRequest',
  apiKey: 36,
  type: 'request',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [f.bytes('authBytes', '0+')],
})

export const SaslAuthenticateResponseSchema = message({
  name: 'SaslAuthenticateResponse',
  apiKey: 36,
  type: 'response',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    f.int16('errorCode', '0+'),
    f.string('errorMessage', '0+', { nullableVersions: '0+' }),
    f.bytes('authBytes', '0+'),
    f.int64('sessionLifetimeMs', '1+', { default: 0 }),
  ],
})

/** SaslAuthenticate is the SaslAuthenticate API (key 36). */
export const SaslAuthenticate = defineApi({
  key: 36,
  name: 'SaslAuthenticate',
  request: SaslAuthenticateRequestSchema,
  response: SaslAuthenticateResponseSchema,
})

/** SaslAuthenticateRequest is a decoded SaslAuthenticate request body: every version's fields, absent ones at their defaults. */
export type SaslAuthenticateRequest = BodyOf<typeof SaslAuthenticateRequestSchema>
/** SaslAuthenticateResponse is a decoded SaslAuthenticate response body: every version's fields, absent ones at their defaults. */
export type SaslAuthenticateResponse = BodyOf<typeof SaslAuthenticateResponseSchema>
