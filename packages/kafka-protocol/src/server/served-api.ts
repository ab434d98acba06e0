import { InvariantError } from '@tributary/core/internal'
import type { ApiDefinition } from '../codec/api'
import type { ApiKey, ResponseInput } from '../messages'
import type { KafkaRequest } from '../protocol'
import type { RequestContext } from './context'

/** NO_RESPONSE is what a handler returns for a request Kafka does not answer (Produce with acks=0). */
export const NO_RESPONSE: unique symbol = Symbol('no response')

/** RequestOf is the decoded request of API `K`. */
export type RequestOf<K extends ApiKey> = Extract<KafkaRequest, { apiKey: K }>

/** ApiHandler answers one decoded request. */
export type ApiHandler<K extends ApiKey> = (req: RequestOf<K>, ctx: RequestContext) => Promise<ResponseInput<K> | typeof NO_RESPONSE>

/**
 * ServedApi is one API as the server serves it: the versions it answers (what ApiVersions
 * advertises, built from these registrations, so the two cannot disagree) and its handler.
 */
export interface ServedApi<K extends ApiKey = ApiKey> {
  readonly api: ApiDefinition<K>
  readonly minVersion: number
  readonly maxVersion: number
  /**
   * Versions advertised but refused by closing the connection, as Kafka 4 does for Produce v0-2
   * (advertised so that librdkafka keeps compression on, see the Produce file).
   */
  readonly refusedBelow: number
  /** Answered before SASL authentication completes: ApiVersions and the SASL exchange only. */
  readonly beforeAuthentication: boolean
  /**
   * The next request of the connection may start while this one waits: the handler issues its
   * broker call synchronously when it starts, so effects keep arrival order, and only its answer
   * is awaited (responses are still written in arrival order). Fetch's long poll and Produce's
   * acks wait then do not hold up a connection's other requests.
   */
  readonly pipelined: boolean
  readonly handle: ApiHandler<K>
}

/**
 * serveApi registers an API: its definition from the codec, the versions served (within what the
 * codec describes) and the handler.
 * @throws Error when the range is outside the codec's (a programming error).
 */
export function serveApi<K extends ApiKey>(d: {
  api: ApiDefinition<K>
  minVersion: number
  maxVersion: number
  refusedBelow?: number
  beforeAuthentication?: boolean
  pipelined?: boolean
  handle: ApiHandler<K>
}): ServedApi<K> {
  if (d.minVersion < d.api.minVersion || d.maxVersion > d.api.maxVersion || d.minVersion > d.maxVersion)
    throw new InvariantError(
      `${d.api.name}: serves v${d.minVersion}-${d.maxVersion}, the codec knows v${d.api.minVersion}-${d.api.maxVersion}`,
    )
  return Object.freeze({
    api: d.api,
    minVersion: d.minVersion,
    maxVersion: d.maxVersion,
    refusedBelow: d.refusedBelow ?? d.minVersion,
    beforeAuthentication: d.beforeAuthentication ?? false,
    pipelined: d.pipelined ?? false,
    handle: d.handle,
  })
}
