import { type Clock, TributaryError } from '@tributary/core'
import type { ApiKey, RequestInput } from '../messages'
import { backoffMs, sleep } from './backoff'
import type { BrokerConnections, Lane } from './broker-connections'
import type { ClusterConnections } from './cluster-connections'
import type { RequestOptions, Response } from './connection'
import type { Coordinators } from './coordinators'
import type { MetadataCache } from './metadata-cache'
import type { ResolvedKafkaClientOptions } from './options'

/** BodyFor is a request body, or a function of the version it will be sent at (for bodies whose shape changed). */
export type BodyFor<K extends ApiKey> = RequestInput<K> | ((version: number) => RequestInput<K>)

/**
 * KafkaContext is what the Kafka backend's calls share: the resolved options, the clock, the
 * connections, the metadata cache and the coordinators, with the three ways a request is routed
 * (to a given broker, to any broker, to the controller).
 */
export class KafkaContext {
  constructor(
    readonly options: ResolvedKafkaClientOptions,
    readonly clock: Clock,
    readonly connections: ClusterConnections,
    readonly cache: MetadataCache,
    readonly coordinators: Coordinators,
  ) {}

  /** send sends one request on `broker`'s `lane` connection at the highest version both sides support. */
  async send<K extends ApiKey>(
    broker: BrokerConnections,
    lane: Lane,
    apiKey: K,
    body: BodyFor<K>,
    options: RequestOptions = {},
  ): Promise<Response<K>> {
    const c = await broker.connection(lane)
    const version = options.version ?? c.versions.version(apiKey, options.maxVersion)
    return c.request(apiKey, typeof body === 'function' ? body(version) : body, { ...options, version })
  }

  /** sendAny sends a request to any broker (one that cannot be reached is skipped). */
  sendAny<K extends ApiKey>(apiKey: K, body: BodyFor<K>, options: RequestOptions = {}): Promise<Response<K>> {
    return this.connections.any((broker) => this.send(broker, 'data', apiKey, body, options))
  }

  /**
   * sendController sends a request to the controller (topic admin): found through metadata, found
   * again (with backoff) when a broker answers NOT_CONTROLLER or the controller cannot be reached.
   * `check` turns the answer's own errors into throws, so that NOT_CONTROLLER in a result retries.
   */
  async sendController<K extends ApiKey, T>(apiKey: K, body: BodyFor<K>, check: (response: Response<K>) => T): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.cache.ensureController()
        const id = this.cache.controllerId
        const response = id >= 0 ? await this.send(this.connections.node(id), 'data', apiKey, body) : await this.sendAny(apiKey, body)
        return check(response)
      } catch (error) {
        const moved =
          error instanceof TributaryError &&
          (error.code === 'NOT_CONTROLLER' ||
            (error.code === 'NETWORK_EXCEPTION' && error.retriable) ||
            error.code === 'LEADER_NOT_AVAILABLE')
        if (!moved || attempt >= this.options.retry.retries) throw error
        this.cache.markStale()
        await this.backoff(attempt)
      }
    }
  }

  /** backoff waits the client's retry backoff for `attempt`. */
  backoff(attempt: number): Promise<void> {
    return sleep(this.clock, backoffMs(this.options.retry, attempt))
  }

  /** deadline is when a wait that started now must give up (requestTimeoutMs). */
  deadline(): number {
    return this.clock.now() + this.options.requestTimeoutMs
  }
}
