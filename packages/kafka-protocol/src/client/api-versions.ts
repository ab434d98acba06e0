import { TributaryError } from '@tributary/core'
import { type ApiKey, getApi } from '../messages'

/*
 * Version negotiation (KIP-35): each connection asks the broker which versions of each API it
 * serves (ApiVersions), and every request then uses the highest version both sides support: the
 * broker's maximum, capped by the codec's highest stable version and by a per-API cap where a
 * newer version changes semantics this client does not implement.
 */

/**
 * VERSION_CAPS caps APIs whose newest versions mean more than a new wire shape:
 * - JoinGroup v9 lets the broker tell a static leader to skip the assignment (KIP-814), which the
 *   Broker contract has no field for; v8 keeps the classic rebalance.
 * - SaslHandshake above v1 would mis-negotiate with old clients (KAFKA-9577); v1 is what Kafka uses.
 */
export const VERSION_CAPS: Readonly<Partial<Record<ApiKey, number>>> = Object.freeze({ 11: 8, 17: 1 })

/** BrokerApiRange is one API as a broker's ApiVersions answer lists it. */
export interface BrokerApiRange {
  apiKey: number
  minVersion: number
  maxVersion: number
}

/** ApiVersionTable is what one broker serves, with the version this client uses for each API. */
export class ApiVersionTable {
  private readonly chosen = new Map<number, number>()

  constructor(readonly ranges: readonly BrokerApiRange[]) {
    for (const r of ranges) {
      const api = getApi(r.apiKey)
      if (api === undefined) continue
      const ours = Math.min(api.maxStableVersion, VERSION_CAPS[r.apiKey as ApiKey] ?? Number.POSITIVE_INFINITY)
      const version = Math.min(ours, r.maxVersion)
      if (version >= Math.max(api.minVersion, r.minVersion)) this.chosen.set(r.apiKey, version)
    }
  }

  /** supports tells whether the broker and this client share a version of `apiKey`. */
  supports(apiKey: ApiKey): boolean {
    return this.chosen.has(apiKey)
  }

  /**
   * version is the version to send `apiKey` at, at most `max` when given.
   * @throws TributaryError UNSUPPORTED_VERSION when the broker and this client share no version.
   */
  version(apiKey: ApiKey, max?: number): number {
    const v = this.chosen.get(apiKey)
    const api = getApi(apiKey)
    if (v === undefined || api === undefined || (max !== undefined && max < Math.max(api.minVersion, this.brokerMin(apiKey)))) {
      const range = this.ranges.find((r) => r.apiKey === apiKey)
      throw new TributaryError(
        'UNSUPPORTED_VERSION',
        `the broker ${range ? `serves ${api?.name ?? apiKey} v${range.minVersion}-${range.maxVersion}` : `does not serve ${api?.name ?? `API ${apiKey}`}`}, which this client cannot use`,
        { details: { apiKey } },
      )
    }
    return max === undefined ? v : Math.min(v, max)
  }

  private brokerMin(apiKey: number): number {
    return this.ranges.find((r) => r.apiKey === apiKey)?.minVersion ?? 0
  }
}
