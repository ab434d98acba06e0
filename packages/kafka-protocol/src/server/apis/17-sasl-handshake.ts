/*
 * SaslHandshake (key 17), served v0-1 (never above 1: older clients mis-negotiate, KAFKA-9577),
 * answered before authentication.
 *
 * Picks the mechanism and lists the ones offered. v0 switches the connection to bare
 * size-prefixed SASL tokens (kafka-python); v1 to SaslAuthenticate requests (librdkafka, KafkaJS,
 * Java). An unknown mechanism gets UNSUPPORTED_SASL_MECHANISM (33) and the connection closes; a
 * handshake in the middle of an exchange, or on a listener without SASL, ILLEGAL_SASL_STATE (34).
 */
import { SaslHandshake } from '../../messages'
import { errorCodeFor } from '../context'
import { serveApi } from '../served-api'

const ILLEGAL_SASL_STATE = 34

/** saslHandshakeApi answers SaslHandshake. */
export const saslHandshakeApi = serveApi({
  api: SaslHandshake,
  minVersion: 0,
  maxVersion: 1,
  beforeAuthentication: true,
  async handle(req, ctx) {
    const sasl = ctx.connection.sasl
    if (sasl === null) return { errorCode: ILLEGAL_SASL_STATE, mechanisms: [] }
    try {
      sasl.handshake(req.body.mechanism, req.apiVersion)
      return { errorCode: 0, mechanisms: [...sasl.offered] }
    } catch (error) {
      ctx.closeAfterResponse(`SASL handshake refused: ${(error as Error).message}`)
      return { errorCode: errorCodeFor(ctx, error, 'SaslHandshake'), mechanisms: [...sasl.offered] }
    }
  },
})
