import { checkInt, checkObject, invalidConfig } from '../option-checks'

/*
 * SASL settings shared by every listener that authenticates clients (the Kafka listener and a
 * cluster node's client port): the same users, the same mechanisms, one resolver.
 */

/** SaslMechanism is a SASL mechanism a listener can offer. */
export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'

/** SASL_MECHANISMS lists every mechanism implemented. */
export const SASL_MECHANISMS: readonly SaslMechanism[] = Object.freeze(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'])

/** ScramCredential is a user's stored SCRAM secret (RFC 5802): never the password itself. */
export interface ScramCredential {
  /** The salt, base64. */
  salt: string
  /** PBKDF2 iterations, at least 4096. */
  iterations: number
  /** H(HMAC(SaltedPassword, "Client Key")), base64. */
  storedKey: string
  /** HMAC(SaltedPassword, "Server Key"), base64. */
  serverKey: string
}

/**
 * SaslUser is one user: a password (turned into salted SCRAM credentials at start, then dropped)
 * or ready-made credentials per SCRAM mechanism (then the password never reaches the server).
 */
export interface SaslUser {
  username: string
  password?: string
  credentials?: Partial<Record<'SCRAM-SHA-256' | 'SCRAM-SHA-512', ScramCredential>>
}

/** SaslOptions turn on SASL authentication of clients. */
export interface SaslOptions {
  /** Mechanisms offered, in order of preference. Default ['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN']. */
  mechanisms?: SaslMechanism[]
  /** Users given in code. */
  users?: SaslUser[]
  /** A JSON file `{ "users": [SaslUser, …] }`, read once at start. */
  usersFile?: string
  /** PBKDF2 iterations of credentials made from passwords. Default 4096 (Kafka's minimum). */
  scramIterations?: number
}

/** ResolvedSaslOptions are SaslOptions with defaults applied; `path` names them in errors (`kafkaServer.sasl`). */
export interface ResolvedSaslOptions {
  readonly mechanisms: SaslMechanism[]
  readonly scramIterations: number
  readonly users: SaslUser[] | undefined
  readonly usersFile: string | undefined
  readonly path: string
}

/** SASL_DEFAULTS are the defaults of SaslOptions. */
export const SASL_DEFAULTS = Object.freeze({
  mechanisms: Object.freeze(['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN'] as SaslMechanism[]),
  scramIterations: 4096,
})

const SASL_KNOWN = ['mechanisms', 'users', 'usersFile', 'scramIterations'] as const
/** Kafka refuses SCRAM credentials under 4096 iterations, and so do KafkaJS and librdkafka. */
const MIN_ITERATIONS = 4096
const MAX_ITERATIONS = 1_000_000

/**
 * resolveSaslOptions checks SaslOptions found at `path` (undefined: SASL is off).
 * @throws TributaryError INVALID_CONFIG naming the option (`<path>.mechanisms`).
 */
export function resolveSaslOptions(value: unknown, path: string): ResolvedSaslOptions | undefined {
  if (value === undefined) return undefined
  const s = checkObject(value, path, SASL_KNOWN)
  const mechanisms = (s.mechanisms ?? SASL_DEFAULTS.mechanisms) as unknown
  if (!Array.isArray(mechanisms) || mechanisms.length === 0 || mechanisms.some((m) => !SASL_MECHANISMS.includes(m)))
    throw invalidConfig(`${path}.mechanisms`, `must be a non-empty list of ${SASL_MECHANISMS.join(', ')}`)
  const scramIterations = checkInt(
    s.scramIterations ?? SASL_DEFAULTS.scramIterations,
    `${path}.scramIterations`,
    MIN_ITERATIONS,
    MAX_ITERATIONS,
  )
  if (s.users !== undefined && !Array.isArray(s.users)) throw invalidConfig(`${path}.users`, 'must be an array of users')
  if (s.usersFile !== undefined && (typeof s.usersFile !== 'string' || s.usersFile === ''))
    throw invalidConfig(`${path}.usersFile`, 'must be a file path')
  if (s.users === undefined && s.usersFile === undefined) throw invalidConfig(path, 'needs users or usersFile (nobody could authenticate)')
  return Object.freeze({
    mechanisms: [...new Set(mechanisms as SaslMechanism[])],
    scramIterations,
    users: s.users as SaslUser[] | undefined,
    usersFile: s.usersFile as string | undefined,
    path,
  })
}
