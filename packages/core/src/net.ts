/**
 * @tributary/core/net — network safety shared by every listener and dialer of Tributary (the Kafka
 * listener, a cluster node's client and Raft ports, the remote client): TLS option shapes, SASL
 * PLAIN and SCRAM-SHA-256/512 (server and client), the peer challenge–response, connection and
 * frame limits, ACLs, listen addresses. Unlike core's main entry it uses node:crypto and reads a
 * users file; it opens no socket itself.
 */
export { parseHostPort, formatHostPort, isLoopbackHost, isWildcardHost } from './net/address'
export { SASL_MECHANISMS, SASL_DEFAULTS, resolveSaslOptions } from './net/sasl-options'
export { CredentialStore, HASH_OF, scramCredential, toScramCredentialJson, saltedPassword, hmac, digest } from './net/sasl-credentials'
export { ScramExchange, PlainExchange } from './net/scram-server'
export { SaslSession } from './net/sasl-session'
export { ScramClient, scramNonce, saslName, MIN_SCRAM_ITERATIONS, MAX_SCRAM_ITERATIONS } from './net/scram-client'
export { resolveTlsServerOptions, resolveTlsClientOptions } from './net/tls-options'
export { LISTENER_LIMIT_DEFAULTS, resolveListenerLimits, ConnectionGate } from './net/connection-limits'
export { ACL_OPERATIONS, Acl, resolveAcl } from './net/acl'
export { ANONYMOUS_PRINCIPAL, guardOf, authorizeCall, restrictArgs, filterResult, guardBroker } from './net/acl-calls'
export { PEER_NONCE_BYTES, PEER_PROOF_BYTES, peerNonce, peerProof, verifyPeerProof } from './net/peer-auth'

export type { HostPort } from './net/address'
export type { SaslMechanism, SaslOptions, SaslUser, ScramCredential, ResolvedSaslOptions } from './net/sasl-options'
export type { ScramHash, ScramMechanismName, StoredCredential } from './net/sasl-credentials'
export type { SaslExchange, SaslStep } from './net/scram-server'
export type { SaslState } from './net/sasl-session'
export type { ScramMechanism } from './net/scram-client'
export type { TlsServerOptions, TlsClientOptions } from './net/tls-options'
export type { ListenerLimits, ResolvedListenerLimits } from './net/connection-limits'
export type { AclEntry, AclOperation } from './net/acl'
export type { AclResourceKind, CallGuard } from './net/acl-calls'
