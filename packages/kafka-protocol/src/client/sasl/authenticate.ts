import { TributaryError } from '@tributary/core'
import { errorFromKafkaCode } from '../../error-codes'
import type { KafkaConnection } from '../connection'
import type { KafkaSaslOptions } from '../options'
import { type ScramMechanism, ScramClient } from './scram'

const SASL_HANDSHAKE = 17
const SASL_AUTHENTICATE = 36

const MECHANISM_NAMES = { plain: 'PLAIN', 'scram-sha-256': 'SCRAM-SHA-256', 'scram-sha-512': 'SCRAM-SHA-512' } as const

/**
 * authenticate runs SASL on a fresh connection, after ApiVersions and before anything else:
 * SaslHandshake v1 names the mechanism, then each token travels in a SaslAuthenticate request
 * (KIP-152). PLAIN is one token (`\0user\0password`); SCRAM is two round trips and checks the
 * broker's signature (see ScramClient). Brokers older than Kafka 1.0 (raw SASL tokens after
 * SaslHandshake v0) are not supported.
 * @returns the session lifetime the broker grants (0: none; otherwise re-authenticate before it ends).
 * @throws TributaryError UNSUPPORTED_SASL_MECHANISM (with the broker's mechanisms), SASL_AUTHENTICATION_FAILED
 * (bad credentials, or a broker that does not know them), ILLEGAL_SASL_STATE, UNSUPPORTED_VERSION.
 */
export async function authenticate(connection: KafkaConnection, sasl: KafkaSaslOptions): Promise<{ sessionLifetimeMs: number }> {
  const mechanism = MECHANISM_NAMES[sasl.mechanism]
  if (!connection.versions.supports(SASL_AUTHENTICATE) || connection.versions.version(SASL_HANDSHAKE) < 1) {
    throw new TributaryError(
      'UNSUPPORTED_VERSION',
      `${connection.address} does not serve SaslHandshake v1 and SaslAuthenticate (Kafka 1.0+); SASL cannot be used with it`,
      { details: { broker: connection.address } },
    )
  }
  const handshake = await connection.request(SASL_HANDSHAKE, { mechanism })
  if (handshake.body.errorCode !== 0) {
    const offered = handshake.body.mechanisms.join(', ') || 'none'
    throw fail(connection, handshake.body.errorCode, `${connection.address} does not accept SASL ${mechanism} (it offers ${offered})`, {
      mechanisms: handshake.body.mechanisms,
    })
  }
  if (mechanism === 'PLAIN') {
    return round(connection, Buffer.from(`\u0000${sasl.username}\u0000${sasl.password}`, 'utf8')).then((r) => r)
  }
  const scram = new ScramClient(mechanism as ScramMechanism, sasl.username, sasl.password)
  const first = await round(connection, Buffer.from(scram.clientFirst(), 'utf8'))
  const final = await round(connection, Buffer.from(scram.clientFinal(first.authBytes.toString('utf8')), 'utf8'))
  scram.verifyServerFinal(final.authBytes.toString('utf8'))
  return final
}

async function round(connection: KafkaConnection, token: Buffer): Promise<{ authBytes: Buffer; sessionLifetimeMs: number }> {
  const { body } = await connection.request(SASL_AUTHENTICATE, { authBytes: token })
  if (body.errorCode !== 0) {
    throw fail(connection, body.errorCode, body.errorMessage ?? `SASL authentication with ${connection.address} failed`)
  }
  return { authBytes: body.authBytes, sessionLifetimeMs: body.sessionLifetimeMs }
}

function fail(connection: KafkaConnection, errorCode: number, message: string, details: Record<string, unknown> = {}): TributaryError {
  return (
    errorFromKafkaCode(errorCode, message, { broker: connection.address, ...details }) ??
    new TributaryError('SASL_AUTHENTICATION_FAILED', message, { details: { broker: connection.address } })
  )
}
