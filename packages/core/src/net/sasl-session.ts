import { TributaryError } from '../errors'
import type { SaslMechanism } from './sasl-options'
import { type CredentialStore, HASH_OF } from './sasl-credentials'
import { PlainExchange, type SaslExchange, type SaslStep, ScramExchange } from './scram-server'

/*
 * One connection's SASL state (Kafka's SaslServerAuthenticator):
 *
 *   handshake ──SaslHandshake v1──▶ authenticate ──SaslAuthenticate…──▶ done
 *       │                                                             ▲
 *       └──────SaslHandshake v0──▶ raw (bare size-prefixed tokens) ───┘
 *
 * Before `done` the connection answers ApiVersions and the exchange only. Any failure ends the
 * connection (after a SaslAuthenticate error response, or with no answer in raw mode).
 */

/** SaslState is where a connection is in its authentication. */
export type SaslState = 'handshake' | 'authenticate' | 'raw' | 'done'

/** SaslSession tracks one connection's SASL exchange. */
export class SaslSession {
  state: SaslState = 'handshake'
  /** The authenticated user, once done. */
  principal: string | null = null
  private exchange: SaslExchange | null = null

  constructor(
    private readonly mechanisms: readonly SaslMechanism[],
    private readonly store: CredentialStore,
    private readonly scramIterations: number,
  ) {}

  /** authenticated tells whether requests other than ApiVersions and SASL may be answered. */
  get authenticated(): boolean {
    return this.principal !== null && this.state === 'done'
  }

  /** offered lists the mechanisms the server offers, in order of preference. */
  get offered(): readonly SaslMechanism[] {
    return this.mechanisms
  }

  /**
   * handshake picks the mechanism: v0 switches the connection to raw tokens, v1 to SaslAuthenticate.
   * @throws TributaryError UNSUPPORTED_SASL_MECHANISM for a mechanism not offered, ILLEGAL_SASL_STATE mid-exchange.
   */
  handshake(mechanism: string, version: number): void {
    if (this.state !== 'handshake' && this.state !== 'done')
      throw new TributaryError('ILLEGAL_SASL_STATE', `SaslHandshake is not expected in state ${this.state}`)
    if (!(this.mechanisms as readonly string[]).includes(mechanism))
      throw new TributaryError(
        'UNSUPPORTED_SASL_MECHANISM',
        `Unsupported SASL mechanism ${mechanism}; offered: ${this.mechanisms.join(', ')}`,
      )
    const m = mechanism as SaslMechanism
    this.exchange = m === 'PLAIN' ? new PlainExchange(this.store) : new ScramExchange(HASH_OF[m], this.store, this.scramIterations)
    this.state = version === 0 ? 'raw' : 'authenticate'
  }

  /**
   * step feeds the next client token to the exchange; when it completes, the connection is
   * authenticated as its user.
   * @throws TributaryError SASL_AUTHENTICATION_FAILED (the caller closes), ILLEGAL_SASL_STATE without a handshake.
   */
  async step(token: Buffer): Promise<SaslStep> {
    const exchange = this.exchange
    if (exchange === null || (this.state !== 'authenticate' && this.state !== 'raw'))
      throw new TributaryError('ILLEGAL_SASL_STATE', `SASL tokens are not expected in state ${this.state}`)
    const step = await exchange.step(token)
    if (step.done) {
      this.principal = exchange.principal
      this.state = 'done'
      this.exchange = null
    }
    return step
  }
}
