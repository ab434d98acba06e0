import { createHmac, createHash, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { TributaryError } from '../errors'
import { invalidConfig } from '../option-checks'
import type { ResolvedSaslOptions, SaslUser, ScramCredential } from './sasl-options'

/*
 * Users and their secrets. A password given in the options or the users file is turned at start
 * into salted SCRAM credentials (RFC 5802: StoredKey and ServerKey from PBKDF2 over a random salt,
 * for SHA-256 and SHA-512) and then dropped: the server never keeps a password. PLAIN logins are
 * checked against the same credentials (derive the StoredKey from the password offered and
 * compare), so one stored secret serves every mechanism.
 */

/** ScramHash is the hash of a SCRAM mechanism. */
export type ScramHash = 'sha256' | 'sha512'

/** ScramMechanismName is a SCRAM mechanism's SASL name. */
export type ScramMechanismName = 'SCRAM-SHA-256' | 'SCRAM-SHA-512'

/** HASH_OF maps a SCRAM mechanism to its hash. */
export const HASH_OF: Readonly<Record<ScramMechanismName, ScramHash>> = Object.freeze({
  'SCRAM-SHA-256': 'sha256',
  'SCRAM-SHA-512': 'sha512',
})

/** StoredCredential is a SCRAM credential with its keys as bytes. */
export interface StoredCredential {
  salt: Buffer
  iterations: number
  storedKey: Buffer
  serverKey: Buffer
}

const pbkdf2Async = promisify(pbkdf2)
const KEY_BYTES: Record<ScramHash, number> = { sha256: 32, sha512: 64 }
const SALT_BYTES = 16
/** Most users a server accepts (a bound on memory and on start-up work). */
const MAX_USERS = 10_000

/** saltedPassword is SCRAM's Hi(password, salt, i): PBKDF2-HMAC with the mechanism's hash. */
export function saltedPassword(password: string, salt: Buffer, iterations: number, hash: ScramHash): Promise<Buffer> {
  return pbkdf2Async(Buffer.from(password.normalize('NFKC'), 'utf8'), salt, iterations, KEY_BYTES[hash], hash)
}

/** hmac is HMAC(key, data) with `hash`. */
export function hmac(hash: ScramHash, key: Buffer, data: string | Buffer): Buffer {
  return createHmac(hash, key).update(data).digest()
}

/** digest is H(data) with `hash`. */
export function digest(hash: ScramHash, data: Buffer): Buffer {
  return createHash(hash).update(data).digest()
}

/** scramCredential derives a stored SCRAM credential from a password (a new random salt unless one is given). */
export async function scramCredential(
  password: string,
  hash: ScramHash,
  iterations: number,
  salt: Buffer = randomBytes(SALT_BYTES),
): Promise<StoredCredential> {
  const salted = await saltedPassword(password, salt, iterations, hash)
  return {
    salt,
    iterations,
    storedKey: digest(hash, hmac(hash, salted, 'Client Key')),
    serverKey: hmac(hash, salted, 'Server Key'),
  }
}

/** toScramCredentialJson writes a stored credential in the users-file form (base64 fields). */
export function toScramCredentialJson(c: StoredCredential): ScramCredential {
  return {
    salt: c.salt.toString('base64'),
    iterations: c.iterations,
    storedKey: c.storedKey.toString('base64'),
    serverKey: c.serverKey.toString('base64'),
  }
}

/**
 * CredentialStore holds every user's SCRAM credentials. Built once at start by `load`; lookups
 * are synchronous.
 */
export class CredentialStore {
  /** A per-process secret that makes the decoy salts of unknown users stable but unguessable. */
  private readonly decoyKey = randomBytes(32)

  private constructor(private readonly users: ReadonlyMap<string, Partial<Record<ScramHash, StoredCredential>>>) {}

  /**
   * load reads the users of the SASL options (and their file) and derives the credentials.
   * @throws TributaryError INVALID_CONFIG for an unreadable file, a malformed user or too few iterations.
   */
  static async load(sasl: ResolvedSaslOptions): Promise<CredentialStore> {
    const users: SaslUser[] = [...(sasl.users ?? [])]
    if (sasl.usersFile !== undefined) users.push(...(await readUsersFile(sasl.usersFile, sasl.path)))
    if (users.length > MAX_USERS) throw invalidConfig(`${sasl.path}.users`, `has more than ${MAX_USERS} users`)
    const map = new Map<string, Partial<Record<ScramHash, StoredCredential>>>()
    for (const [i, user] of users.entries()) {
      const path = `${sasl.path}.users[${i}]`
      if (user === null || typeof user !== 'object' || typeof user.username !== 'string' || user.username === '')
        throw invalidConfig(path, 'needs a username')
      if (map.has(user.username)) throw invalidConfig(path, `repeats the user ${user.username}`)
      map.set(user.username, await credentialsOf(user, sasl.scramIterations, path))
    }
    return new CredentialStore(map)
  }

  /** credential returns a user's credential for `hash`, or undefined for an unknown user (or one without it). */
  credential(username: string, hash: ScramHash): StoredCredential | undefined {
    return this.users.get(username)?.[hash]
  }

  /** anyCredential returns one of a user's credentials (PLAIN checks a password against any). */
  anyCredential(username: string): { hash: ScramHash; credential: StoredCredential } | undefined {
    const entry = this.users.get(username)
    if (entry === undefined) return undefined
    for (const hash of ['sha256', 'sha512'] as const) {
      const credential = entry[hash]
      if (credential !== undefined) return { hash, credential }
    }
    return undefined
  }

  /**
   * decoy is a credential for a user that does not exist: a SCRAM exchange with it goes to the
   * end and fails there, so an attacker cannot tell unknown users from wrong passwords.
   */
  decoy(username: string, hash: ScramHash, iterations: number): StoredCredential {
    const salt = hmac('sha256', this.decoyKey, `salt:${username}`).subarray(0, SALT_BYTES)
    const junk = hmac(hash, this.decoyKey, `key:${username}`)
    return { salt, iterations, storedKey: junk, serverKey: junk }
  }

  /** checkPassword tells whether `password` is `username`'s (PLAIN), in time that does not depend on where it differs. */
  async checkPassword(username: string, password: string): Promise<boolean> {
    const found = this.anyCredential(username)
    if (found === undefined) return false
    const { hash, credential } = found
    const candidate = await scramCredential(password, hash, credential.iterations, credential.salt)
    return timingSafeEqual(candidate.storedKey, credential.storedKey)
  }
}

async function credentialsOf(user: SaslUser, iterations: number, path: string): Promise<Partial<Record<ScramHash, StoredCredential>>> {
  const out: Partial<Record<ScramHash, StoredCredential>> = {}
  if (typeof user.password === 'string') {
    out.sha256 = await scramCredential(user.password, 'sha256', iterations)
    out.sha512 = await scramCredential(user.password, 'sha512', iterations)
  } else if (user.password !== undefined) {
    throw invalidConfig(`${path}.password`, 'must be a string')
  }
  for (const [mechanism, json] of Object.entries(user.credentials ?? {})) {
    const hash = HASH_OF[mechanism as ScramMechanismName]
    if (hash === undefined) throw invalidConfig(`${path}.credentials`, `has an unknown mechanism ${mechanism}`)
    out[hash] = parseCredential(json, hash, `${path}.credentials.${mechanism}`)
  }
  if (out.sha256 === undefined && out.sha512 === undefined) throw invalidConfig(path, 'needs a password or SCRAM credentials')
  return out
}

function parseCredential(json: ScramCredential | undefined, hash: ScramHash, path: string): StoredCredential {
  if (json === null || typeof json !== 'object') throw invalidConfig(path, 'must be { salt, iterations, storedKey, serverKey }')
  if (!Number.isSafeInteger(json.iterations) || json.iterations < 4096) throw invalidConfig(`${path}.iterations`, 'must be at least 4096')
  const bytes = (name: 'salt' | 'storedKey' | 'serverKey', length?: number) => {
    const value = json[name]
    const b = typeof value === 'string' ? Buffer.from(value, 'base64') : Buffer.alloc(0)
    if (b.length === 0 || (length !== undefined && b.length !== length))
      throw invalidConfig(`${path}.${name}`, 'must be base64 of the right length')
    return b
  }
  return {
    salt: bytes('salt'),
    iterations: json.iterations,
    storedKey: bytes('storedKey', KEY_BYTES[hash]),
    serverKey: bytes('serverKey', KEY_BYTES[hash]),
  }
}

async function readUsersFile(file: string, saslPath: string): Promise<SaslUser[]> {
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'))
  } catch (error) {
    throw new TributaryError('INVALID_CONFIG', `${saslPath}.usersFile ${file} cannot be read as JSON: ${(error as Error).message}`, {
      details: { path: `${saslPath}.usersFile` },
      cause: error,
    })
  }
  const users = (parsed as { users?: unknown })?.users
  if (!Array.isArray(users)) throw invalidConfig(`${saslPath}.usersFile`, `${file} must hold { "users": [ … ] }`)
  return users as SaslUser[]
}
