import { hostname } from 'node:os'
import { invalidConfig } from '@tributary/core/internal'
import {
  type Acl,
  type AclEntry,
  type ListenerLimits,
  type ResolvedListenerLimits,
  type ResolvedSaslOptions,
  type SaslOptions,
  type TlsClientOptions,
  type TlsServerOptions,
  isLoopbackHost,
  resolveAcl,
  resolveListenerLimits,
  resolveSaslOptions,
  resolveTlsClientOptions,
  resolveTlsServerOptions,
} from '@tributary/core/net'
import { checkObject } from '@tributary/core/internal'

/** ClusterTlsOptions: the node's certificate for both its ports, and what it trusts (and presents) when it dials a peer. */
export interface ClusterTlsOptions {
  /** server: node:tls listener settings (key and cert, or pfx; `ca` and `requestCert: true` to ask peers and clients for certificates). */
  readonly server: TlsServerOptions
  /** client: node:tls settings for dialing peers (`ca` to trust their certificates; `key` and `cert` for mutual TLS). Default: `{ ca: server.ca }`. */
  readonly client?: TlsClientOptions
}

/** ClusterSecurityOptions secure a node's client port and Raft port (see the README's "Security"). */
export interface ClusterSecurityOptions {
  /** tls: serve both ports over TLS and dial peers over TLS. Default none. */
  readonly tls?: ClusterTlsOptions
  /**
   * clusterSecret: the secret every node of the cluster is given (at least 16 characters). Each
   * connection between nodes proves it both ways (HMAC challenge–response, nothing replayable);
   * a connection that has not can send no Raft message and make no peer call. Default none.
   */
  readonly clusterSecret?: string
  /** sasl: clients must authenticate (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) before any Broker call. Default none. */
  readonly sasl?: SaslOptions
  /** acl: what each SASL principal may do (see AclEntry); without it every authenticated client may do everything. Default none. */
  readonly acl?: AclEntry[]
  /** limits: connection, frame and time limits of both ports (see ListenerLimits). Default core's LISTENER_LIMIT_DEFAULTS. */
  readonly limits?: ListenerLimits
}

/** ResolvedClusterSecurity is what the node's listeners and dialers run on. */
export interface ResolvedClusterSecurity {
  readonly tls: { server: TlsServerOptions; client: TlsClientOptions } | undefined
  readonly clusterSecret: string | undefined
  readonly sasl: ResolvedSaslOptions | undefined
  readonly acl: Acl | undefined
  readonly limits: ResolvedListenerLimits
}

const MIN_SECRET_CHARS = 16

/**
 * resolveClusterSecurity checks `options.security` and the bind rule: with no security a node
 * binds loopback only; a routable bind needs TLS, a cluster secret and SASL, or `insecure: true`.
 * @throws TributaryError INVALID_CONFIG naming the option.
 */
export function resolveClusterSecurity(value: unknown, binds: readonly string[], insecure: boolean): ResolvedClusterSecurity {
  const o = checkObject(value, 'options.security', ['tls', 'clusterSecret', 'sasl', 'acl', 'limits']) as ClusterSecurityOptions
  let tls: ResolvedClusterSecurity['tls']
  if (o.tls !== undefined) {
    const t = checkObject(o.tls, 'options.security.tls', ['server', 'client']) as unknown as ClusterTlsOptions
    const server = resolveTlsServerOptions(t.server, 'options.security.tls.server') as TlsServerOptions
    if (server === undefined) throw invalidConfig('options.security.tls.server', 'is required with tls')
    const client = resolveTlsClientOptions(t.client ?? { ca: server.ca }, 'options.security.tls.client') ?? {}
    tls = { server, client }
  }
  if (o.clusterSecret !== undefined && (typeof o.clusterSecret !== 'string' || o.clusterSecret.length < MIN_SECRET_CHARS))
    throw invalidConfig('options.security.clusterSecret', `must be a string of at least ${MIN_SECRET_CHARS} characters`)
  const sasl = resolveSaslOptions(o.sasl, 'options.security.sasl')
  const acl = resolveAcl(o.acl, 'options.security.acl')
  if (acl !== undefined && sasl === undefined) throw invalidConfig('options.security.acl', 'needs sasl (principals are SASL users)')
  // Peer calls are authenticated by the secret alone: without it they would bypass SASL.
  if (sasl !== undefined && o.clusterSecret === undefined)
    throw invalidConfig('options.security.clusterSecret', 'is required with sasl (otherwise peer calls would bypass client authentication)')
  const limits = resolveListenerLimits(o.limits, 'options.security.limits')
  const secured = tls !== undefined && o.clusterSecret !== undefined && sasl !== undefined
  const routable = binds.filter((h) => !isLoopbackHost(h))
  if (routable.length > 0 && !secured && !insecure)
    throw invalidConfig(
      'options.listen',
      `binds the routable address ${routable[0]} without TLS, a cluster secret and SASL (security.tls, security.clusterSecret, security.sasl); configure them, or set insecure: true to accept the risk`,
    )
  return { tls, clusterSecret: o.clusterSecret, sasl, acl, limits }
}

/** isSecured tells whether every listener of a node is protected (TLS, peer secret and client SASL). */
export function isSecured(s: ResolvedClusterSecurity): boolean {
  return s.tls !== undefined && s.clusterSecret !== undefined && s.sasl !== undefined
}

/** defaultAdvertisedHost is what a wildcard bind advertises: this machine's host name. */
export function defaultAdvertisedHost(host: string): string {
  return host === '0.0.0.0' || host === '::' || host === '' ? hostname() : host
}
