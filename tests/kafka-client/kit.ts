import { Tributary, type ConsumerOptions, type KafkaClientOptions } from '@tributary/client'
import { type ServeOptions, type Served, serve } from '../kafka/kit'

/*
 * Test kit of the Kafka backend's end-to-end tests: Tributary's own client (producer, consumer,
 * admin) over KafkaBroker, against a KafkaServer on a LocalBroker (memory or file storage), the
 * same server real Kafka clients are tested against (tests/kafka/kit.ts, imported, not copied).
 * Setting KAFKA_BROKERS=host:port,… points every test at a real Kafka cluster instead.
 */

/** FAST_GROUP makes joins, heartbeats and retries quick in tests. */
export const FAST_GROUP = Object.freeze({
  sessionTimeoutMs: 6_000,
  heartbeatIntervalMs: 100,
  rebalanceTimeoutMs: 5_000,
  maxWaitMs: 300,
  retry: { retries: 5, initialRetryTimeMs: 20, maxRetryTimeMs: 200 },
}) satisfies Partial<ConsumerOptions>

/** Cluster is what a test talks to: a server of our own, or a real Kafka cluster named by KAFKA_BROKERS. */
export interface Cluster {
  readonly bootstrap: string[]
  /** The server, when the test started one (null against KAFKA_BROKERS). */
  readonly served: Served | null
  /** connect opens a Tributary over the Kafka protocol to this cluster. */
  connect(extra?: Partial<KafkaClientOptions>): Promise<Tributary>
  close(): Promise<void>
}

/** externalBrokers is KAFKA_BROKERS split, or null when unset. */
export function externalBrokers(): string[] | null {
  const list = process.env.KAFKA_BROKERS?.split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  return list && list.length > 0 ? list : null
}

/** startCluster starts a server (or uses KAFKA_BROKERS) and tracks the Tributaries it opens, closing them with it. */
export async function startCluster(options: ServeOptions = {}): Promise<Cluster> {
  const external = externalBrokers()
  const served = external === null ? await serve({ ...options, broker: { minSessionTimeoutMs: 50, ...options.broker } }) : null
  const bootstrap = external ?? [(served as Served).bootstrap]
  const opened: Tributary[] = []
  return {
    bootstrap,
    served,
    async connect(extra = {}) {
      const tb = await Tributary.connect({ kafka: { brokers: bootstrap, requestTimeoutMs: 15_000, ...extra } })
      opened.push(tb)
      return tb
    },
    async close() {
      await Promise.allSettled(opened.map((tb) => tb.close()))
      await served?.close()
    },
  }
}

/** uniqueName makes topic and group names that do not collide between tests (or runs against a real cluster). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`
}

/** waitFor polls `condition` until it holds, failing with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
