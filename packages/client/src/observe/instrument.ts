import diagnostics from 'node:diagnostics_channel'
import type { Broker } from '@tributary/core'
import type { BrokerTraffic } from './broker-metrics'

/**
 * Diagnostics channels (`node:diagnostics_channel` tracing channels) that a Tributary's clients
 * publish to, so that OpenTelemetry and APM instrumentations can hook in without patching:
 *
 * - `tributary:produce`: each produce request; context `{ clientId, request }` (ProduceRequest)
 * - `tributary:fetch`: each fetch request; context `{ clientId, request }` (FetchRequest)
 * - `tributary:commit`: each offset commit; context `{ clientId, request }` (OffsetCommitRequest)
 * - `tributary:rebalance`: each JoinGroup and SyncGroup; context `{ clientId, phase: 'join' | 'sync', request }`
 *
 * Each is a TracingChannel: subscribers get `start`, `end`, `asyncStart`, `asyncEnd` and `error`
 * with the same context object, which carries `result` or `error` once settled. Nothing is
 * published (and no context is built) while a channel has no subscribers.
 */
export const DIAGNOSTICS_CHANNELS = Object.freeze({
  produce: 'tributary:produce',
  fetch: 'tributary:fetch',
  commit: 'tributary:commit',
  rebalance: 'tributary:rebalance',
} as const)

const channels = {
  produce: diagnostics.tracingChannel(DIAGNOSTICS_CHANNELS.produce),
  fetch: diagnostics.tracingChannel(DIAGNOSTICS_CHANNELS.fetch),
  commit: diagnostics.tracingChannel(DIAGNOSTICS_CHANNELS.commit),
  rebalance: diagnostics.tracingChannel(DIAGNOSTICS_CHANNELS.rebalance),
}

type Channel = (typeof channels)[keyof typeof channels]

/** listening tells whether anyone subscribes to `channel` (start.hasSubscribers, not TracingChannel.hasSubscribers, works on every Node 20). */
function listening(channel: Channel): boolean {
  return channel.start.hasSubscribers || channel.asyncEnd.hasSubscribers
}

/** traced runs `call` through `channel` (call it when `listening`). */
function traced<T>(channel: Channel, context: object, call: () => Promise<T>): Promise<T> {
  return channel.tracePromise(call, context as Record<string, unknown>)
}

/**
 * instrumentBroker returns `broker` seen through counters: produce and fetch requests are timed
 * and counted into every recorder in `recorders` (at batch granularity), and produce, fetch,
 * commit and group-rebalance calls are published on the diagnostics channels. Every other
 * property is the broker's own.
 */
export function instrumentBroker(broker: Broker, recorders: readonly BrokerTraffic[], clientId: string): Broker {
  // Produce and fetch run once per message at low rates: no closure unless a channel is listened to.
  const own: Partial<Broker> = {
    produce: async (request) => {
      const started = performance.now()
      let results = null
      try {
        results = await (listening(channels.produce)
          ? traced(channels.produce, { clientId, request }, () => broker.produce(request))
          : broker.produce(request))
        return results
      } finally {
        const seconds = (performance.now() - started) / 1000
        for (const r of recorders) r.recordProduce(request, results, seconds)
      }
    },
    fetch: async (request) => {
      const started = performance.now()
      const results = await (listening(channels.fetch)
        ? traced(channels.fetch, { clientId, request }, () => broker.fetch(request))
        : broker.fetch(request))
      const seconds = (performance.now() - started) / 1000
      for (const r of recorders) r.recordFetch(request, results, seconds)
      return results
    },
    commitOffsets: (request) =>
      listening(channels.commit)
        ? traced(channels.commit, { clientId, request }, () => broker.commitOffsets(request))
        : broker.commitOffsets(request),
    joinGroup: (request) =>
      listening(channels.rebalance)
        ? traced(channels.rebalance, { clientId, phase: 'join', request }, () => broker.joinGroup(request))
        : broker.joinGroup(request),
    syncGroup: (request) =>
      listening(channels.rebalance)
        ? traced(channels.rebalance, { clientId, phase: 'sync', request }, () => broker.syncGroup(request))
        : broker.syncGroup(request),
  }
  const bound = new Map<PropertyKey, unknown>()
  return new Proxy(broker, {
    get(target, prop) {
      if (prop in own) return own[prop as keyof Broker]
      const value = Reflect.get(target, prop, target)
      if (typeof value !== 'function') return value
      let fn = bound.get(prop)
      if (fn === undefined) bound.set(prop, (fn = value.bind(target)))
      return fn
    },
  })
}
