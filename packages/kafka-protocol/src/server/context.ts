import type { Broker, Logger } from '@tributary/core'
import { TributaryError } from '@tributary/core'
import type { AclOperation } from '@tributary/core/net'
import { errorCodeOf } from '../error-codes'
import type { HostPort } from './address'
import type { JoinBuffers } from './join-buffers'
import type { RequestBudget } from './request-budget'
import type { ResolvedServerOptions } from './options'
import type { SaslSession } from './sasl/sasl-session'
import type { CredentialStore } from './sasl/credentials'
import type { ServerTopology } from './topology'

/** ServerContext is what every handler shares: the broker, the settings and how nodes are found. */
export interface ServerContext {
  readonly broker: Broker
  readonly options: ResolvedServerOptions
  readonly logger: Logger
  readonly topology: ServerTopology
  /** This listener's address as clients dial it. */
  readonly advertised: HostPort
  /** Users and their SCRAM credentials, when SASL is on. */
  readonly credentials: CredentialStore | null
  /** Bytes of requests held over every connection (queued.max.request.bytes). */
  readonly budget: RequestBudget
  /** Buffers to join Produce requests in, when the broker copies produced batches; else null. */
  readonly joinBuffers: JoinBuffers | null
  /** What ApiVersions lists: the served APIs and versions. */
  readonly apiVersions: ReadonlyArray<{ apiKey: number; minVersion: number; maxVersion: number }>
}

/** ConnectionInfo is one client connection as handlers see it. */
export interface ConnectionInfo {
  readonly id: number
  /** 'host:port' of the client. */
  readonly remote: string
  /** The client's host, as DescribeGroups reports it (Kafka writes '/host'). */
  readonly remoteHost: string
  /** Lines about this connection carry its id and remote address. */
  readonly log: Logger
  /** Aborted when the connection closes, so waits (a fetch's long poll) end with it. */
  readonly signal: AbortSignal
  /** SASL state; null when SASL is off. */
  readonly sasl: SaslSession | null
}

/** RequestContext is what one handler call gets besides its request. */
export interface RequestContext {
  readonly server: ServerContext
  readonly connection: ConnectionInfo
  /**
   * The broker as this connection's principal may use it: every call is checked against the ACL
   * (core/net's guardBroker) and refused with TOPIC_, GROUP_ or CLUSTER_AUTHORIZATION_FAILED,
   * changing nothing. Follow-up reads of an authorized call (a created topic's description) use
   * `server.broker`.
   */
  readonly broker: Broker
  /** The SASL user of this connection, ANONYMOUS without SASL. */
  readonly principal: string
  /** may tells whether the principal may run `operation` on `resource` (always true without an ACL). */
  may(operation: AclOperation, resource: string): boolean
  /**
   * refusal is the error a topic the principal may not `operation` is answered with
   * (TOPIC_AUTHORIZATION_FAILED, 29), or null when it may.
   */
  refusal(operation: AclOperation, topic: string): TributaryError | null
  /** closeAfterResponse closes the connection once this request's response is written (a failed SASL login). */
  closeAfterResponse(reason: string): void
}

/**
 * errorCodeFor is the Kafka error code a response carries for `err`. A failure that is not a
 * TributaryError is a bug, not a client's mistake: it is logged with its stack and answered
 * UNKNOWN_SERVER_ERROR (-1).
 */
export function errorCodeFor(ctx: RequestContext, err: unknown, what: string): number {
  if (!(err instanceof TributaryError))
    ctx.connection.log.error(`${what} failed unexpectedly`, { error: err, stack: (err as Error)?.stack })
  return errorCodeOf(err)
}

/** errorMessageOf is the message a response's errorMessage field carries (null without an error). */
export function errorMessageOf(err: unknown): string | null {
  return err instanceof TributaryError ? err.message : err === undefined || err === null ? null : 'unexpected server error'
}
