import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto'
import { TributaryError } from '../errors'

/*
 * The client side of SCRAM (RFC 5802) as Kafka uses it for SCRAM-SHA-256 and SCRAM-SHA-512
 * (RFC 7677): no channel binding (gs2 header "n,,"), no authorization identity. Pure apart from
 * the hashing: the nonce comes in from outside, so the RFC's test vectors can be replayed.
 *
 *   client-first  n,,n=<user>,r=<client nonce>
 *   server-first  r=<client nonce + server nonce>,s=<base64 salt>,i=<iterations>
 *   client-final  c=biws,r=<nonce>,p=<base64 ClientProof>
 *   server-final  v=<base64 ServerSignature>   (or e=<error>)
 *
 * SaltedPassword = PBKDF2(HMAC-H, password, salt, i); ClientKey = HMAC(SaltedPassword, "Client
 * Key"); StoredKey = H(ClientKey); AuthMessage = client-first-bare + "," + server-first + "," +
 * client-final-without-proof; ClientProof = ClientKey XOR HMAC(StoredKey, AuthMessage);
 * ServerSignature = HMAC(HMAC(SaltedPassword, "Server Key"), AuthMessage). The client checks the
 * server's signature, so a server that does not know the password cannot pass for the broker.
 */

/** ScramMechanism is a SCRAM variant Kafka supports. */
export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512'

/** Kafka refuses fewer iterations (ScramMechanism.minIterations); a server offering fewer is not Kafka, or is lying. */
export const MIN_SCRAM_ITERATIONS = 4096
/** More iterations than any Kafka credential allows would only burn CPU: refuse them. */
export const MAX_SCRAM_ITERATIONS = 16_384 * 64

const HASH = { 'SCRAM-SHA-256': 'sha256', 'SCRAM-SHA-512': 'sha512' } as const
const KEY_BYTES = { 'SCRAM-SHA-256': 32, 'SCRAM-SHA-512': 64 } as const

/** scramNonce makes a client nonce: 32 random bytes, base64 (printable, no comma). */
export function scramNonce(): string {
  return randomBytes(32).toString('base64')
}

/** saslName escapes a user name for SCRAM (RFC 5802 §5.1: ',' → '=2C', '=' → '=3D'). */
export function saslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C')
}

/**
 * ScramClient runs one SCRAM exchange: `clientFirst()`, then `clientFinal(serverFirst)`, then
 * `verifyServerFinal(serverFinal)`. Each step throws SASL_AUTHENTICATION_FAILED with the reason
 * when the server's message is malformed, weak or wrong.
 */
export class ScramClient {
  private readonly clientFirstBare: string
  private serverSignature: Buffer | null = null

  constructor(
    readonly mechanism: ScramMechanism,
    username: string,
    private readonly password: string,
    private readonly nonce: string = scramNonce(),
  ) {
    this.clientFirstBare = `n=${saslName(username)},r=${nonce}`
  }

  /** clientFirst is the first message: gs2 header and client-first-bare. */
  clientFirst(): string {
    return `n,,${this.clientFirstBare}`
  }

  /** clientFinal answers the server-first message with the proof of the password. */
  clientFinal(serverFirst: string): string {
    const attrs = parseAttributes(serverFirst)
    if (attrs.has('e')) throw failed(`the server refused the first message: ${attrs.get('e')}`)
    const nonce = attrs.get('r')
    const salt = attrs.get('s')
    const iterations = Number(attrs.get('i'))
    if (nonce === undefined || salt === undefined || !attrs.has('i')) throw failed('the server-first message lacks r, s or i')
    if (!nonce.startsWith(this.nonce) || nonce.length === this.nonce.length) throw failed('the server nonce does not extend ours')
    if (!Number.isInteger(iterations) || iterations < MIN_SCRAM_ITERATIONS || iterations > MAX_SCRAM_ITERATIONS) {
      throw failed(`the server asks for ${attrs.get('i')} iterations (Kafka uses ${MIN_SCRAM_ITERATIONS} to 16384)`)
    }
    const hash = HASH[this.mechanism]
    const salted = pbkdf2Sync(this.password, Buffer.from(salt, 'base64'), iterations, KEY_BYTES[this.mechanism], hash)
    const clientKey = hmac(hash, salted, 'Client Key')
    const storedKey = createHash(hash).update(clientKey).digest()
    const withoutProof = `c=biws,r=${nonce}`
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`
    const signature = hmac(hash, storedKey, authMessage)
    const proof = Buffer.alloc(clientKey.length)
    for (let i = 0; i < proof.length; i++) proof[i] = (clientKey[i] as number) ^ (signature[i] as number)
    this.serverSignature = hmac(hash, hmac(hash, salted, 'Server Key'), authMessage)
    return `${withoutProof},p=${proof.toString('base64')}`
  }

  /** verifyServerFinal checks the server's signature (throws unless the server knows the password). */
  verifyServerFinal(serverFinal: string): void {
    if (this.serverSignature === null) throw failed('server-final before client-final')
    const attrs = parseAttributes(serverFinal)
    if (attrs.has('e')) throw failed(`the server refused the proof: ${attrs.get('e')}`)
    const v = attrs.get('v')
    if (v === undefined) throw failed('the server-final message has no signature')
    const got = Buffer.from(v, 'base64')
    if (got.length !== this.serverSignature.length || !timingSafeEqual(got, this.serverSignature)) {
      throw failed("the server's signature is wrong: it does not know this user's credentials")
    }
  }
}

function hmac(hash: string, key: Buffer, data: string): Buffer {
  return createHmac(hash, key).update(data).digest()
}

/** parseAttributes reads `k=v,k=v` (values may contain '='; the first one splits). */
function parseAttributes(message: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const part of message.split(',')) {
    const eq = part.indexOf('=')
    if (eq < 1) throw failed(`malformed SCRAM attribute ${JSON.stringify(part.slice(0, 20))}`)
    out.set(part.slice(0, eq), part.slice(eq + 1))
  }
  return out
}

function failed(reason: string): TributaryError {
  return new TributaryError('SASL_AUTHENTICATION_FAILED', `SCRAM: ${reason}`)
}
