import { TributaryError } from '@tributary/core'
import { ScramClient, type ScramMechanism } from '@tributary/core/net'
import type { ConnectSaslOptions } from './options'

/** A request on the connection being authenticated (WireConnection's handshake call). */
type HandshakeCall = (method: string, args: readonly unknown[]) => Promise<unknown>

const MECHANISM_NAMES = { plain: 'PLAIN', 'scram-sha-256': 'SCRAM-SHA-256', 'scram-sha-512': 'SCRAM-SHA-512' } as const

/**
 * authenticateNode runs SASL on a new connection to a cluster node's client port, before any
 * Broker call: `$sasl:handshake` names the mechanism, then each token travels in a
 * `$sasl:authenticate` call. PLAIN is one token (`\0user\0password`); SCRAM is two round trips and
 * checks the node's signature, so a node that does not know the password cannot pass for one.
 * @throws TributaryError UNSUPPORTED_SASL_MECHANISM, SASL_AUTHENTICATION_FAILED, ILLEGAL_SASL_STATE,
 * SECURITY_DISABLED (the node has no SASL).
 */
export async function authenticateNode(call: HandshakeCall, sasl: Readonly<ConnectSaslOptions>): Promise<void> {
  const mechanism = MECHANISM_NAMES[sasl.mechanism]
  await call('$sasl:handshake', [mechanism])
  if (mechanism === 'PLAIN') {
    await round(call, Buffer.from(`\u0000${sasl.username}\u0000${sasl.password}`, 'utf8'))
    return
  }
  const scram = new ScramClient(mechanism as ScramMechanism, sasl.username, sasl.password)
  const first = await round(call, Buffer.from(scram.clientFirst(), 'utf8'))
  const final = await round(call, Buffer.from(scram.clientFinal(first.toString('utf8')), 'utf8'))
  scram.verifyServerFinal(final.toString('utf8'))
}

async function round(call: HandshakeCall, token: Buffer): Promise<Buffer> {
  const answer = (await call('$sasl:authenticate', [token])) as { token?: unknown } | null
  if (!Buffer.isBuffer(answer?.token)) throw new TributaryError('SASL_AUTHENTICATION_FAILED', 'the node answered SASL without a token')
  return answer.token
}
