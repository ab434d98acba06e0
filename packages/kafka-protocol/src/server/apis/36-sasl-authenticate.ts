/*
 * SaslAuthenticate (key 36), served v0-2, answered before authentication.
 *
 * Carries one SASL token each way after a SaslHandshake v1 (PLAIN: one round, answered with an
 * empty token; SCRAM-SHA-256/512: two rounds). A failed login gets SASL_AUTHENTICATION_FAILED (58)
 * with a message, then the connection closes. sessionLifetimeMs is 0: sessions do not expire, so
 * clients do not re-authenticate. A token outside an exchange is ILLEGAL_SASL_STATE (34), and the
 * connection closes too.
 */
import { TributaryError } from '@tributary/core'
import { SaslAuthenticate } from '../../messages'
import { errorCodeFor, errorMessageOf } from '../context'
import { serveApi } from '../served-api'

const EMPTY = Buffer.alloc(0)

/** saslAuthenticateApi answers SaslAuthenticate. */
export const saslAuthenticateApi = serveApi({
  api: SaslAuthenticate,
  minVersion: 0,
  maxVersion: 2,
  beforeAuthentication: true,
  async handle(req, ctx) {
    const sasl = ctx.connection.sasl
    try {
      if (sasl === null || sasl.state !== 'authenticate')
        throw new TributaryError('ILLEGAL_SASL_STATE', 'SaslAuthenticate is not expected: no SaslHandshake v1 came first')
      const { response } = await sasl.step(req.body.authBytes)
      return { errorCode: 0, errorMessage: null, authBytes: response, sessionLifetimeMs: 0 }
    } catch (error) {
      ctx.closeAfterResponse(`SASL authentication failed: ${(error as Error).message}`)
      return {
        errorCode: errorCodeFor(ctx, error, 'SaslAuthenticate'),
        errorMessage: errorMessageOf(error),
        authBytes: EMPTY,
        sessionLifetimeMs: 0,
      }
    }
  },
})
