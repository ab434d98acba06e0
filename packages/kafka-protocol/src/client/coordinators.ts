import { type Clock, TributaryError } from '@tributary/core'
import { backoffMs, sleep } from './backoff'
import type { BrokerConnections } from './broker-connections'
import type { ClusterConnections } from './cluster-connections'
import type { ResolvedKafkaClientOptions } from './options'

/** Errors that say the cached coordinator is wrong or not ready: find it again and retry. */
const COORDINATOR_MOVED = new Set(['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS'])

/** Bound on remembered coordinators (one per group this client talks to). */
const MAX_CACHED_GROUPS = 10_000

/**
 * Coordinators finds each group's coordinator with FindCoordinator (on any broker), remembers it,
 * and runs group calls there. When the coordinator moves (NOT_COORDINATOR), is not ready
 * (COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS) or cannot be reached, the call is
 * retried against a freshly found coordinator with the client's backoff, up to `retry.retries`
 * times; then the last error (retriable) is thrown.
 */
export class Coordinators {
  private readonly cache = new Map<string, string>()

  constructor(
    private readonly connections: ClusterConnections,
    private readonly find: (groupId: string) => Promise<string>,
    private readonly options: ResolvedKafkaClientOptions,
    private readonly clock: Clock,
  ) {}

  /** call runs `fn` at `groupId`'s coordinator (see the class comment for retries). */
  async call<T>(groupId: string, fn: (coordinator: BrokerConnections) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn(this.connections.at(await this.lookup(groupId)))
      } catch (error) {
        if (!isCoordinatorError(error) || attempt >= this.options.retry.retries) throw error
        this.cache.delete(groupId)
        await sleep(this.clock, backoffMs(this.options.retry, attempt))
      }
    }
  }

  /** forget drops every cached coordinator on `address` (its connection was lost). */
  forgetAddress(address: string): void {
    for (const [group, a] of this.cache) if (a === address) this.cache.delete(group)
  }

  private async lookup(groupId: string): Promise<string> {
    const cached = this.cache.get(groupId)
    if (cached !== undefined) return cached
    const address = await this.find(groupId)
    if (this.cache.size >= MAX_CACHED_GROUPS) this.cache.delete(this.cache.keys().next().value as string)
    this.cache.set(groupId, address)
    return address
  }
}

/** isCoordinatorError tells whether a group call failed because of where it went, not what it asked. */
export function isCoordinatorError(error: unknown): boolean {
  return error instanceof TributaryError && (COORDINATOR_MOVED.has(error.code) || (error.code === 'NETWORK_EXCEPTION' && error.retriable))
}
