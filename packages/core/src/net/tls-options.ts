import type { ConnectionOptions, TlsOptions } from 'node:tls'
import { invalidConfig } from '../option-checks'

/*
 * TLS settings shared by every listener (Kafka, a cluster node's client and Raft ports) and every
 * dialer (peers, the remote client): node:tls option shapes, checked in one place.
 */

/** TlsServerOptions are the node:tls settings a listener takes: a key and certificate (or pfx) at least; `ca` with `requestCert` asks clients for certificates. */
export type TlsServerOptions = Pick<
  TlsOptions,
  'key' | 'cert' | 'ca' | 'pfx' | 'passphrase' | 'minVersion' | 'maxVersion' | 'ciphers' | 'requestCert' | 'rejectUnauthorized'
>

/** TlsClientOptions are the node:tls settings a dialer takes: `ca` to trust the server, `key` and `cert` for a client certificate. */
export type TlsClientOptions = Pick<
  ConnectionOptions,
  'ca' | 'key' | 'cert' | 'pfx' | 'passphrase' | 'servername' | 'minVersion' | 'maxVersion' | 'ciphers' | 'rejectUnauthorized'
>

/**
 * resolveTlsServerOptions checks TLS listener settings at `path` (undefined: plaintext).
 * @throws TributaryError INVALID_CONFIG naming the option.
 */
export function resolveTlsServerOptions(value: unknown, path: string): TlsServerOptions | undefined {
  if (value === undefined) return undefined
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidConfig(path, 'must be an object')
  const tls = value as TlsServerOptions
  if (tls.pfx === undefined && (tls.key === undefined || tls.cert === undefined)) throw invalidConfig(path, 'needs key and cert (or pfx)')
  return tls
}

/**
 * resolveTlsClientOptions checks TLS dialing settings at `path` (undefined: plaintext; `true`:
 * TLS trusting the system's certificate authorities).
 * @throws TributaryError INVALID_CONFIG naming the option.
 */
export function resolveTlsClientOptions(value: unknown, path: string): TlsClientOptions | undefined {
  if (value === undefined || value === false) return undefined
  if (value === true) return {}
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw invalidConfig(path, 'must be true or an object of node:tls options')
  return value as TlsClientOptions
}
