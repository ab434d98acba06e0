/*
 * SaslHandshake (key 17), versions 0-1, never flexible: described from Kafka's
 * SaslHandshakeRequest.json and SaslHandshakeResponse.json (apache/kafka trunk 1eb7644, the 3.9 line).
 *
 * never flexible; v0 means the SASL tokens then travel as raw size-prefixed frames,
 * v1 that they travel in SaslAuthenticate requests. Kafka must never advertise more than v1
 * (clients up to 2.4 mis-negotiate). Clients send: KafkaJS v1, librdkafka up to v1, kafka-python v0.
 */
import { defineApi } from '../codec/api'
import { type BodyOf, f, message } from '../codec/schema'

export const SaslHandshakeRequestSchema = message({
  name: 'SaslHandshakeRequest',
  apiKey: 17,
  type: 'request',
  validVersions: '0-1',
  flexibleVersions: 'none',
  fields: [f.string('mechanism', '0+')],
})

export const SaslHandshakeResponseSchema = message({
  name: 'SaslHandshakeResponse',
  apiKey: 17,
  type: 'response',
  validVersions: '0-1',
  flexibleVersions: 'none',
  fields: [f.int16('errorCode', '0+'), f.array('mechanisms', '0+', 'string')],
})

/** SaslHandshake is the SaslHandshake API (key 17). */
export const SaslHandshake = defineApi({
  key: 17,
  name: 'SaslHandshake',
  request: SaslHandshakeRequestSchema,
  response: SaslHandshakeResponseSchema,
})

/** SaslHandshakeRequest is a decoded SaslHandshake request body: every version's fields, absent ones at their defaults. */
export type SaslHandshakeRequest = BodyOf<typeof SaslHandshakeRequestSchema>
/** SaslHandshakeResponse is a decoded SaslHandshake response body: every version's fields, absent ones at their defaults. */
export type SaslHandshakeResponse = BodyOf<typeof SaslHandshakeResponseSchema>
