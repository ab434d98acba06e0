import { randomBytes, timingSafeEqual } from 'node:crypto'
import { TributaryError } from '../errors'
import { type CredentialStore, type ScramHash, type StoredCredential, digest, hmac } from './sasl-credentials'

/*
 * The server side of SCRAM (RFC 5802, RFC 7677) as Kafka runs it: two round trips.
 *
 *   client-first  n,,n=<user>,r=<client nonce>[,extensions]   (gs2 header "n,," or "y,,", or "n,a=<user>,")
 *   server-first  r=<client nonce><server nonce>,s=<base64 salt>,i=<iterations>
 *   client-final  c=<base64 gs2 header>,r=<nonce>,p=<base64 proof>   (the nonce ends with the server's)
 *   server-final  v=<base64 server signature>
 *
 * The proof is checked as the RFC says: ClientKey = proof XOR HMAC(StoredKey, AuthMessage), and
 * H(ClientKey) must equal StoredKey. Any failure is SASL_AUTHENTICATION_FAILED and the connection
 * closes; an unknown user runs the exchange with a decoy credential and fails at the same step as
 * a wrong password. Channel binding ("p=") and delegation tokens (tokenauth) are not supported.
 */

/** SaslStep is what one client token produces: the server's token and whether the exchange is over. */
export interface SaslStep {
  response: Buffer
  done: boolean
}

/** SaslExchange is one mechanism's server side, fed the client's tokens in order. */
export interface SaslExchange {
  /** step answers the next client token. @throws TributaryError SASL_AUTHENTICATION_FAILED. */
  step(token: Buffer): Promise<SaslStep>
  /** The authenticated user, once `step` returned done. */
  readonly principal: string | null
}

/** Most bytes a SCRAM message may have (a username and a nonce fit in far less). */
const MAX_MESSAGE_BYTES = 4096

/** ScramExchange is one SCRAM login. */
export class ScramExchange implements SaslExchange {
  principal: string | null = null
  private stage: 'first' | 'final' | 'done' = 'first'
  private username = ''
  private credential: StoredCredential | null = null
  private known = false
  private nonce = ''
  private gs2Header = ''
  private clientFirstBare = ''
  private serverFirst = ''

  constructor(
    private readonly hash: ScramHash,
    private readonly store: CredentialStore,
    private readonly decoyIterations: number,
  ) {}

  async step(token: Buffer): Promise<SaslStep> {
    if (token.length > MAX_MESSAGE_BYTES) throw failed('the SCRAM message is too long')
    const text = token.toString('utf8')
    if (this.stage === 'first') return this.first(text)
    if (this.stage === 'final') return this.final(text)
    throw failed('the SCRAM exchange is already complete')
  }

  private first(text: string): SaslStep {
    const m = /^([ny]),(?:a=([^,]*))?,(.*)$/.exec(text)
    if (!m) throw failed(text.startsWith('p=') ? 'channel binding is not supported' : 'malformed client-first message')
    this.gs2Header = text.slice(0, text.length - (m[3] as string).length)
    this.clientFirstBare = m[3] as string
    const attrs = parseAttributes(this.clientFirstBare)
    const user = attrs.get('n')
    const clientNonce = attrs.get('r')
    if (user === undefined || clientNonce === undefined || clientNonce === '' || /[^\x21-\x2b\x2d-\x7e]/.test(clientNonce))
      throw failed('malformed client-first message')
    if (attrs.has('tokenauth')) throw failed('delegation tokens are not supported')
    if (attrs.has('m')) throw failed('mandatory SCRAM extensions are not supported')
    this.username = decodeSaslName(user)
    const authzid = m[2] === undefined ? '' : decodeSaslName(m[2])
    if (authzid !== '' && authzid !== this.username) throw failed(`authorization id ${authzid} differs from the user`)
    const credential = this.store.credential(this.username, this.hash)
    this.known = credential !== undefined
    this.credential = credential ?? this.store.decoy(this.username, this.hash, this.decoyIterations)
    this.nonce = clientNonce + randomBytes(18).toString('base64')
    this.serverFirst = `r=${this.nonce},s=${this.credential.salt.toString('base64')},i=${this.credential.iterations}`
    this.stage = 'final'
    return { response: Buffer.from(this.serverFirst), done: false }
  }

  private final(text: string): SaslStep {
    const proofAt = text.lastIndexOf(',p=')
    if (proofAt < 0) throw failed('malformed client-final message')
    const withoutProof = text.slice(0, proofAt)
    const attrs = parseAttributes(withoutProof)
    if (attrs.get('c') !== Buffer.from(this.gs2Header).toString('base64')) throw failed('channel binding does not match')
    // Kafka accepts a nonce that ends with the server's (librdkafka sends its client nonce again in front).
    if (!(attrs.get('r') ?? '').endsWith(this.nonce)) throw failed('nonce does not match')
    const proof = Buffer.from(text.slice(proofAt + 3), 'base64')
    const credential = this.credential as StoredCredential
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`
    const signature = hmac(this.hash, credential.storedKey, authMessage)
    if (proof.length !== signature.length) throw failed('invalid credentials')
    const clientKey = Buffer.alloc(proof.length)
    for (let i = 0; i < proof.length; i++) clientKey[i] = (proof[i] as number) ^ (signature[i] as number)
    const matches = timingSafeEqual(digest(this.hash, clientKey), credential.storedKey)
    if (!matches || !this.known) throw failed('invalid credentials')
    this.stage = 'done'
    this.principal = this.username
    const serverSignature = hmac(this.hash, credential.serverKey, authMessage)
    return { response: Buffer.from(`v=${serverSignature.toString('base64')}`), done: true }
  }
}

/** PlainExchange is one PLAIN login: `authzid NUL user NUL password`, answered with an empty token. */
export class PlainExchange implements SaslExchange {
  principal: string | null = null
  private used = false

  constructor(private readonly store: CredentialStore) {}

  async step(token: Buffer): Promise<SaslStep> {
    if (this.used) throw failed('the PLAIN exchange is already complete')
    this.used = true
    if (token.length > MAX_MESSAGE_BYTES) throw failed('the PLAIN message is too long')
    const parts = token.toString('utf8').split('\u0000')
    if (parts.length !== 3) throw failed('malformed PLAIN message')
    const [authzid, username, password] = parts as [string, string, string]
    if (username === '') throw failed('malformed PLAIN message: empty user')
    if (authzid !== '' && authzid !== username) throw failed(`authorization id ${authzid} differs from the user`)
    if (!(await this.store.checkPassword(username, password))) throw failed('invalid credentials')
    this.principal = username
    return { response: Buffer.alloc(0), done: true }
  }
}

function parseAttributes(text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const part of text.split(',')) {
    const eq = part.indexOf('=')
    if (eq < 1) throw failed('malformed SCRAM attribute')
    out.set(part.slice(0, eq), part.slice(eq + 1))
  }
  return out
}

/** decodeSaslName undoes SCRAM's escaping of user names (`=2C` is ',', `=3D` is '='). */
function decodeSaslName(name: string): string {
  if (/=(?!2C|3D)/.test(name)) throw failed('malformed user name')
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=')
}

function failed(why: string): TributaryError {
  return new TributaryError('SASL_AUTHENTICATION_FAILED', `Authentication failed: ${why}`)
}
