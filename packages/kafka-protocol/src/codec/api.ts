import { InvariantError } from '@tributary/core/internal'
import { type CompiledMessage, compileMessage } from './compiler'
import type { MessageSpec } from './schema'
import { parseVersions } from './versions'

/**
 * ApiDefinition is one Kafka API as the codec knows it: its key and name, the request and
 * response descriptions and the version facts derived from them.
 */
export interface ApiDefinition<
  K extends number = number,
  N extends string = string,
  Req extends MessageSpec = MessageSpec,
  Res extends MessageSpec = MessageSpec,
> {
  readonly key: K
  readonly name: N
  readonly request: Req
  readonly response: Res
  /** Lowest version the codec reads and writes. */
  readonly minVersion: number
  /** Highest version the codec reads and writes. */
  readonly maxVersion: number
  /** Highest version Kafka calls stable (maxVersion unless the schema marks the latest unstable). */
  readonly maxStableVersion: number
  /** First version with compact types and tagged fields (request header v2), or null if none is. */
  readonly firstFlexibleVersion: number | null
}

/**
 * defineApi declares an API from its request and response descriptions, which must agree on the
 * key and version ranges (as Kafka's schemas do).
 */
export function defineApi<const K extends number, const N extends string, Req extends MessageSpec, Res extends MessageSpec>(d: {
  key: K
  name: N
  request: Req
  response: Res
}): ApiDefinition<K, N, Req, Res> {
  const { request, response } = d
  if (request.apiKey !== d.key || response.apiKey !== d.key) throw new InvariantError(`${d.name}: api keys disagree`)
  if (request.type !== 'request' || response.type !== 'response') throw new InvariantError(`${d.name}: request/response swapped`)
  if (request.validVersions !== response.validVersions) throw new InvariantError(`${d.name}: version ranges disagree`)
  if (request.flexibleVersions !== response.flexibleVersions) throw new InvariantError(`${d.name}: flexible versions disagree`)
  const valid = parseVersions(request.validVersions)
  const flexible = parseVersions(request.flexibleVersions)
  const maxVersion = valid.highest
  return Object.freeze({
    ...d,
    minVersion: valid.lowest,
    maxVersion,
    maxStableVersion: request.latestVersionUnstable ? maxVersion - 1 : maxVersion,
    firstFlexibleVersion: flexible.lowest <= flexible.highest ? flexible.lowest : null,
  })
}

const compiled = new WeakMap<MessageSpec, (CompiledMessage | undefined)[]>()

/**
 * codecFor returns the compiled codec of `spec` at `version`, generating it on first use. The
 * caller has checked that the version is valid.
 */
export function codecFor(spec: MessageSpec, version: number): CompiledMessage {
  let byVersion = compiled.get(spec)
  if (byVersion === undefined) {
    byVersion = []
    compiled.set(spec, byVersion)
  }
  let codec = byVersion[version]
  if (codec === undefined) {
    codec = compileMessage(spec, version)
    byVersion[version] = codec
  }
  return codec
}

/** isFlexible tells whether `version` of `api` uses the flexible encoding. */
export function isFlexible(api: ApiDefinition, version: number): boolean {
  return api.firstFlexibleVersion !== null && version >= api.firstFlexibleVersion
}
