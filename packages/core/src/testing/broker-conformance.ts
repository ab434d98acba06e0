import { describeAdmin } from './broker-conformance-admin'
import { describeFetch } from './broker-conformance-fetch'
import { describeGroups } from './broker-conformance-groups'
import { describeProduce } from './broker-conformance-produce'
import type { BrokerConformanceOptions, BrokerCtx, BrokerFactory, BrokerHandle } from './broker-kit'

/**
 * The Broker conformance suite: the behaviour every implementation of core's `Broker` contract
 * must share (LocalBroker on one node, a ClusterNode of one or three nodes, the remote client over
 * TCP, and any later backend such as a Kafka-protocol one): produce, fetch, offsets, consumer
 * groups and admin, including the exact error code of every bad input and that a refused input
 * changes nothing. The sections are broker-conformance-{admin,produce,fetch,groups}.ts; the
 * helpers broker-kit.ts.
 *
 * A backend's test file calls `runBrokerConformance('local', factory)`. The factory starts the
 * broker once for the run; tests share it, each on topics and groups of its own, so a replicated
 * broker is started once, not per test.
 */
export function runBrokerConformance(name: string, factory: BrokerFactory, options: BrokerConformanceOptions = {}): void {
  describe(`${name} broker conformance`, () => {
    const ctx = { nodes: options.nodes ?? 1 } as BrokerCtx
    let handle: BrokerHandle | undefined
    beforeAll(async () => {
      handle = await factory.create()
      ctx.broker = handle.broker
    }, 60_000)
    afterAll(async () => {
      await handle?.cleanup()
    }, 60_000)
    jest.setTimeout(options.testTimeoutMs ?? 30_000)
    describeAdmin(ctx)
    describeProduce(ctx)
    describeFetch(ctx)
    describeGroups(ctx)
  })
}

export type { BrokerConformanceOptions, BrokerFactory, BrokerHandle } from './broker-kit'
